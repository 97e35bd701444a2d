"""``--download`` of ``merge`` and ``convert``: fetch a base model named by a Hub id, only when asked.

Without ``--download`` nothing here touches the network: :func:`not_here` only words the message
that says the base is missing and how ``--download`` would fetch it.
"""

from __future__ import annotations

import sys
from typing import Optional

from mergesmith.core import formats
from mergesmith.core.progress import CancelToken

from .output import TerminalProgress


def looks_like_hub_id(name) -> bool:
    from mergesmith.core.hub.download import is_hub_id

    return is_hub_id(name)


def not_here(name: Optional[str]) -> str:
    """The hint added to a "base not found" message for a Hub id (empty for anything else)."""
    if name and looks_like_hub_id(name):
        return " Pass --download to fetch it from the Hugging Face Hub into the local cache."
    return ""


def fetch_base(repo_id: str, as_json: bool = False, dry_run: bool = False) -> Optional[str]:
    """Plan, check the disk, download with a progress line like the merge's; the snapshot folder.

    With ``--dry-run`` only the download is planned and said (None: the caller stops there)."""
    from mergesmith.core.hub.download import check_space, download, plan_download

    plan = plan_download(repo_id)
    if dry_run:
        print(f"Would download the base model {plan.describe()} Dry run: nothing was downloaded; the merge "
              "can be planned once the base is here.", file=sys.stderr, flush=True)
        return None
    print(f"Downloading the base model {plan.describe()}", file=sys.stderr, flush=True)
    check_space(plan)
    bar = TerminalProgress(enabled=None if not as_json else False)
    try:
        folder = download(plan, progress=bar, cancel=CancelToken())
    finally:
        bar.finish()
    print(f"Downloaded {repo_id} ({formats.format_size(plan.to_fetch)}) into {folder}", file=sys.stderr, flush=True)
    return str(folder)
