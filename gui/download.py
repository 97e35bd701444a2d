"""Download the base model from the Hub, from the window: size first, then the files, cancellable.

:class:`BaseDownloader` offers a download only when the base is not on this machine and is named
by a Hub id (the base field, or the training's config). Nothing is asked of the network until the
user clicks: the first click asks the Hub's API for the files and their size (``sized``); the
second starts the download on the controller's job, so progress and cancel are the merge's
(``Job.run`` with a :class:`~mergesmith.core.progress.CancelToken`). Afterwards the base field
points at the downloaded snapshot in the Hugging Face cache, and the merge is planned again.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import Optional

from PySide6.QtCore import QObject, Signal

from mergesmith.core.errors import Cancelled, MergesmithError
from mergesmith.core.formats import format_size

from .checking import ERROR, INFO, OK, internal_error_text


def _plan(repo_id: str):
    from mergesmith.core.hub.download import plan_download

    return plan_download(repo_id)


def _download(plan, progress, cancel):
    from mergesmith.core.hub.download import download

    return download(plan, progress, cancel)


def hub_id_wanted(base_path: str, source) -> str:
    """The Hub id to offer for download ("" for none): the base field's, else the training's."""
    from mergesmith.core.hub.download import is_hub_id

    if base_path:
        return base_path if is_hub_id(base_path) else ""
    hint = getattr(source, "base_hint", None)
    return hint if hint and is_hub_id(hint) else ""


class BaseDownloader(QObject):
    """The window's "Download base model" flow over a :class:`MergeController`."""

    changed = Signal()  # what to offer (``repo_id``, ``plan``, ``downloading``) changed
    started = Signal()
    sized = Signal(object)  # DownloadPlan
    downloaded = Signal(str)  # the snapshot folder
    finished = Signal(str)  # a short word for the progress panel: done, cancelled or failed

    def __init__(self, controller, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.repo_id = ""
        self.plan = None
        self.downloading = False
        self.asking = False
        self._task: Optional[asyncio.Task] = None
        controller.sourceChanged.connect(lambda _s: self.refresh())
        controller.stateChanged.connect(self.refresh)  # the base field changed, a plan came or went

    @property
    def button_text(self) -> str:
        if self.plan is not None and self.plan.repo_id == self.repo_id:
            return f"Download {self.repo_id} ({format_size(self.plan.to_fetch)})"
        return "Download base model\u2026"

    def refresh(self) -> None:
        c = self.controller
        wanted = "" if self.downloading else hub_id_wanted(c.base_path, c.source)
        if wanted != self.repo_id:
            self.repo_id, self.plan = wanted, None
            self.changed.emit()

    def click(self) -> None:
        """First click: ask the size; second click: download."""
        if not self.repo_id or self.downloading or self.asking or self.controller.busy:
            return
        coro = self._size() if self.plan is None else self._fetch()
        self._task = asyncio.get_running_loop().create_task(coro)  # we keep the reference (style.md 4.3)

    async def _size(self) -> None:
        c, repo_id = self.controller, self.repo_id
        self.asking = True
        self.changed.emit()
        c.say(INFO, f"Asking the Hugging Face Hub about {repo_id}\u2026")
        try:
            plan = await c.job.call(_plan, repo_id)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
            self._said(exc, "Asking the Hub")
            return
        finally:
            self.asking = False
        if repo_id == self.repo_id:
            self.plan = plan
            c.say(INFO, f"{plan.describe()} Click the button again to download.")
            self.sized.emit(plan)
        self.changed.emit()

    async def _fetch(self) -> None:
        c, plan = self.controller, self.plan
        self.downloading = True
        c.running_for = "download"
        self.changed.emit()
        self.started.emit()
        c.stateChanged.emit()
        c.log("info", f"Downloading {plan.repo_id} into {plan.cache_dir}")
        try:
            folder = await c.job.run(_download, plan)
        except Cancelled as exc:
            c.say(INFO, exc.message)
            self.finished.emit("Download cancelled")
        except Exception as exc:  # noqa: BLE001
            self._said(exc, "Downloading")
            self.finished.emit("Download failed")
        else:
            c.say(OK, f"Downloaded {plan.repo_id} into {folder}; it is now the base model.")
            self.finished.emit(f"Downloaded {plan.repo_id}")
            self.downloaded.emit(str(folder))
            c.baseSuggested.emit(str(folder))
            c.set_base(str(folder))
        finally:
            self.downloading = False
            c.running_for = ""
            self.plan = None
            self.refresh()
            c.stateChanged.emit()

    def _said(self, exc: BaseException, what: str) -> None:
        c = self.controller
        if isinstance(exc, MergesmithError):
            c.say(ERROR, exc.message)
        else:
            c.log("error", f"{what}:\n" + "".join(traceback.format_exception(exc)))
            c.say(ERROR, internal_error_text(exc))
        self.changed.emit()

    async def wait(self) -> None:
        """Until the running ask or download ends (for shutdown and tests)."""
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task})
