"""Download a base model from the Hugging Face Hub into the standard cache, on request only.

Two steps, so a front end can show the size before a byte is fetched:

- :func:`plan_download` asks the Hub's API which files the repo holds at a revision and keeps
  those a merge needs (config, generation config, the safetensors weights: the single file or the
  index and its shards, else the PyTorch ``.bin`` weights our loader reads; tokenizer and chat
  template files; remote code). Their sizes come from the API.
- :func:`download` fetches them with ``huggingface_hub.hf_hub_download`` into the Hugging Face
  cache (``HF_HUB_CACHE`` / ``HF_HOME`` read when called), so transformers and other tools find
  them too. Progress is reported in :class:`Progress` events, the cancel token is checked between
  chunks. huggingface_hub resumes a cut connection with a Range request; a file that did not
  complete is not kept, files that did stay in the cache, so a second run fetches only the rest.

Every failure is one :class:`DownloadError` sentence: what, which repo, what to do.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Optional

from .. import formats
from ..errors import Cancelled, MergesmithError
from ..progress import CancelToken, Progress, ProgressCallback, no_progress

HUB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
# weights, best first: (index, single file); the .bin ones are read by core.io.stores too
WEIGHT_LAYOUTS = ((formats.SAFE_INDEX, formats.SAFE_WEIGHTS), (formats.PT_INDEX, formats.PT_WEIGHTS))
OTHER_WEIGHTS = (".h5", ".msgpack", ".onnx", ".gguf", ".pt", ".pth", ".ckpt", ".ot")
SPACE_MARGIN = 1.02  # the files themselves, plus a little for the cache's refs and locks


class DownloadError(MergesmithError):
    """The base model could not be planned or fetched from the Hub (one sentence, with the fix)."""


@dataclass(frozen=True)
class HubFile:
    name: str
    size: int
    cached: bool = False  # already complete in the cache at this commit


@dataclass
class DownloadPlan:
    """The files of ``repo_id`` at ``commit`` that a merge needs, and where they will land."""

    repo_id: str
    revision: str
    commit: str
    cache_dir: Path
    files: list[HubFile] = field(default_factory=list)
    endpoint: str = ""
    gated: bool = False  # the Hub asks users to accept conditions before they may download

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def to_fetch(self) -> int:
        """Bytes not in the cache yet."""
        return sum(f.size for f in self.files if not f.cached)

    @property
    def snapshot(self) -> Path:
        return self.cache_dir / ("models--" + self.repo_id.replace("/", "--")) / "snapshots" / self.commit

    def describe(self) -> str:
        have = sum(1 for f in self.files if f.cached)
        cached = f", {have} already in the cache" if have else ""
        gated = (" It is gated: accept its conditions on its Hub page and log in (`huggingface-cli login` or "
                 "HF_TOKEN) first." if self.gated else "")
        return (f"{self.repo_id} ({self.revision}, commit {self.commit[:7]}): {len(self.files)} files, "
                f"{formats.format_size(self.total)}{cached}; {formats.format_size(self.to_fetch)} to download "
                f"into {self.cache_dir}.{gated}")


def is_hub_id(text) -> bool:
    """``ORG/NAME`` as the Hub spells ids, and not a path that exists here."""
    text = str(text or "")
    return bool(HUB_ID_RE.match(text)) and ".." not in text and not Path(text).expanduser().exists()


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache as huggingface_hub resolves it, read now (not at its import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(os.environ["HUGGINGFACE_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def hub_endpoint() -> str:
    """``HF_ENDPOINT`` read now, else huggingface_hub's own (https://huggingface.co)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


# --- plan -----------------------------------------------------------------------------------------


def plan_download(repo_id: str, revision: Optional[str] = None, *, cache_dir=None) -> DownloadPlan:
    """Ask the Hub which files of ``repo_id`` a merge needs, with their sizes (fetches only the index)."""
    from huggingface_hub import HfApi

    revision = revision or "main"
    cache = Path(cache_dir) if cache_dir else hub_cache_dir()
    endpoint = hub_endpoint()
    _refuse_offline(repo_id)
    try:
        info = HfApi(endpoint=endpoint).model_info(repo_id, revision=revision, files_metadata=True)
    except Exception as exc:  # noqa: BLE001 - each kind becomes its sentence in explain()
        raise explain(exc, repo_id, revision, cache=cache, endpoint=endpoint) from None
    sizes = {s.rfilename: (s.size or 0) for s in (info.siblings or [])}
    plan = DownloadPlan(repo_id, revision, info.sha or revision, cache, endpoint=endpoint, gated=bool(info.gated))
    names = _needed(plan, sizes)
    plan.files = [HubFile(n, sizes[n], (plan.snapshot / n).is_file()) for n in names]
    return plan


def _needed(plan: DownloadPlan, sizes: dict[str, int]) -> list[str]:
    """The names a merge needs, from the repo's listing (root level only)."""
    root = [n for n in sizes if "/" not in n]
    if formats.CONFIG not in root:
        raise DownloadError(f"{plan.repo_id} on the Hub has no {formats.CONFIG}, so it is not a transformers "
                            "model Mergesmith can merge into; check the id.")
    wanted = [n for n in root if n in (formats.CONFIG, formats.GENERATION_CONFIG) or formats.is_tokenizer_file(n)
              or n in formats.PROCESSOR_FILES or n.endswith(".py") or formats.LICENSE_RE.match(n)]
    return sorted(set(wanted)) + _weights(plan, root)


def _weights(plan: DownloadPlan, root: list[str]) -> list[str]:
    for index, single in WEIGHT_LAYOUTS:
        if index in root:
            shards = _index_shards(plan, index)
            missing = [s for s in shards if s not in root]
            if missing:
                raise DownloadError(f"{plan.repo_id}'s {index} names {len(missing)} shard(s) the repo does not "
                                    f"hold ({missing[0]}); the repo is incomplete, choose another revision.")
            return [index, *shards]
        if single in root:
            return [single]
    others = sorted(n for n in root if n.endswith(OTHER_WEIGHTS))
    found = f" (it holds {', '.join(others[:3])})" if others else ""
    raise DownloadError(f"{plan.repo_id} on the Hub has no safetensors or PyTorch weights Mergesmith can read"
                        f"{found}; choose a repo with {formats.SAFE_WEIGHTS} or its shards.")


def _index_shards(plan: DownloadPlan, index: str) -> list[str]:
    """The shard names in the repo's index: the index itself is fetched (small) into the cache."""
    path = _fetch(plan, index, partial(_FileBar, lambda n: None, CancelToken()))
    try:
        weight_map = json.loads(Path(path).read_text(encoding="utf-8")).get("weight_map")
    except (OSError, ValueError, AttributeError, RecursionError):
        weight_map = None
    if not isinstance(weight_map, dict) or not weight_map:
        raise DownloadError(f"{index} of {plan.repo_id} has no weight_map; the repo is broken, choose another.")
    return sorted({str(v) for v in weight_map.values()})


def _refuse_offline(repo_id: str) -> None:
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise DownloadError(f"Cannot download {repo_id}: HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, so "
                            "huggingface_hub will not connect; unset it, or pass the base model's folder with --base.")


def check_space(plan: DownloadPlan) -> None:
    """Refuse before fetching when the cache's disk has less room than the files still to fetch."""
    folder = plan.cache_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    need = int(plan.to_fetch * SPACE_MARGIN)
    if need > free:
        raise DownloadError(
            f"Downloading {plan.repo_id} needs {formats.format_size(need)} but the disk holding the Hugging Face "
            f"cache {plan.cache_dir} has {formats.format_size(free)} free; free some space, or set HF_HUB_CACHE "
            "to a folder on a bigger disk.", path=plan.cache_dir)


# --- download -------------------------------------------------------------------------------------


class _FileBar:
    """What huggingface_hub calls as ``tqdm_class`` for one file: counts bytes, checks cancel."""

    def __init__(self, report, cancel: CancelToken, **kwargs) -> None:
        self.report, self.cancel = report, cancel
        self.n = int(kwargs.get("initial") or 0)
        self.report(self.n)

    def update(self, n: int = 1) -> None:
        self.cancel.raise_if_cancelled()
        self.n += n
        self.report(self.n)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def close(self) -> None:
        return None


def download(plan: DownloadPlan, progress: ProgressCallback = no_progress,
             cancel: Optional[CancelToken] = None) -> Path:
    """Fetch the plan's files into the cache; the snapshot folder (usable as ``--base``)."""
    cancel = cancel or CancelToken()
    check_space(plan)
    done = sum(f.size for f in plan.files if f.cached)
    total = plan.total
    try:
        for f in plan.files:
            cancel.raise_if_cancelled()
            if f.cached:
                continue

            def report(n, f=f, before=done):
                progress(Progress("download", before + n, total, f.name, n, f.size,
                                  f"Downloading {plan.repo_id}"))

            _fetch(plan, f.name, partial(_FileBar, report, cancel))
            done += f.size
    except Cancelled:
        raise Cancelled(f"Download of {plan.repo_id} cancelled; the files already complete stay in the "
                        "cache and the next download fetches only the rest.") from None
    progress(Progress("download", total, total, None, 0, 0, f"Downloaded {plan.repo_id}"))
    return plan.snapshot


def _fetch(plan: DownloadPlan, name: str, bar) -> str:
    from huggingface_hub import hf_hub_download

    _refuse_offline(plan.repo_id)
    try:
        with warnings.catch_warnings():  # its "not enough free disk space": check_space said it already
            warnings.filterwarnings("ignore", message="Not enough free disk space")
            return hf_hub_download(plan.repo_id, name, revision=plan.revision, cache_dir=str(plan.cache_dir),
                                   endpoint=plan.endpoint or hub_endpoint(), tqdm_class=bar)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - each kind becomes its sentence in explain()
        raise explain(exc, plan.repo_id, plan.revision, name, cache=plan.cache_dir,
                      endpoint=plan.endpoint) from None


# --- errors ---------------------------------------------------------------------------------------


def explain(exc: BaseException, repo_id: str, revision: str = "main", name: Optional[str] = None, *,
            cache: Optional[Path] = None, endpoint: str = "") -> MergesmithError:
    """One sentence for a failure of huggingface_hub (what, which repo, what to do)."""
    from huggingface_hub import errors as hf

    if isinstance(exc, MergesmithError):
        return exc
    what = f"{name} of {repo_id}" if name else repo_id
    if isinstance(exc, hf.GatedRepoError):
        return DownloadError(f"{repo_id} is gated: accept its conditions on its Hub page, then log in with "
                             "`huggingface-cli login` (or set HF_TOKEN) and download again.")
    if isinstance(exc, hf.RepositoryNotFoundError):
        return DownloadError(f"There is no model {repo_id} on the Hub (or it is private): check the id, or log "
                             "in with `huggingface-cli login` (or set HF_TOKEN) if it is yours.")
    if isinstance(exc, hf.RevisionNotFoundError):
        return DownloadError(f"{repo_id} has no revision {revision!r} on the Hub; check the revision.")
    if isinstance(exc, hf.LocalEntryNotFoundError) or _is_network(exc):
        return DownloadError(f"Cannot reach the Hub ({endpoint or hub_endpoint()}) to download {what}: connect "
                             "to the network and run again (finished files are kept), or pass the base "
                             "model's folder with --base.")
    if isinstance(exc, hf.EntryNotFoundError):
        return DownloadError(f"{repo_id} on the Hub has no file {name} at revision {revision!r}; check the id "
                             "and revision, or pass the base model's folder with --base.")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DownloadError(f"The disk holding the Hugging Face cache {cache} is full (while downloading {what}); "
                             "free some space, or set HF_HUB_CACHE to a folder on a bigger disk.", path=cache)
    if isinstance(exc, hf.HfHubHTTPError):
        status = getattr(exc.response, "status_code", "an error")
        return DownloadError(f"The Hub answered {status} while downloading {what}; try again later (finished "
                             "files are kept), or pass the base model's folder with --base.")
    if isinstance(exc, OSError):
        return DownloadError(f"Downloading {what} failed: {exc.strerror or exc}; check the Hugging Face cache "
                             f"{cache} and run again.", path=cache)
    raise exc


def _is_network(exc: BaseException) -> bool:
    """A connection refused, cut or timed out (httpx's TransportError, whichever httpx huggingface_hub uses)."""
    from huggingface_hub import errors as hf

    if isinstance(exc, (hf.OfflineModeIsEnabled, ConnectionError, TimeoutError)):
        return True
    return any(c.__name__ == "TransportError" for c in type(exc).__mro__)
