"""The main window: the sentence at the top, Merge and Inspect pages, the log, menus.

Closing while a merge runs asks first (non-modally, style.md 4.6), then cancels and closes
once the job reports it has stopped (style.md 4.7); nothing is left behind.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QMainWindow, QMessageBox, QTabWidget,
                               QVBoxLayout, QWidget)

from mergesmith.core import __version__

from .banner import Banner
from .controller import INFO, MergeController
from .i18n import AUTO, CHINESE, ENGLISH, LANGUAGES, chosen_language, installed_language, translate
from .icons import app_icon, icon
from .inspect_page import InspectPage
from .log_panel import LogPanel
from .merge_page import MergePage
from .pickers import dropped_path
from .settings import Settings
from .theme import THEMES, apply_theme

THEME_WORDS = {"auto": QT_TRANSLATE_NOOP("MainWindow", "Auto"), "light": QT_TRANSLATE_NOOP("MainWindow", "Light"),
               "dark": QT_TRANSLATE_NOOP("MainWindow", "Dark")}
# each language named in itself, so that whoever reads neither can still find theirs
LANGUAGE_NAMES = {ENGLISH: "English", CHINESE: "\u7b80\u4f53\u4e2d\u6587"}


class MainWindow(QMainWindow):
    """Mergesmith's window; ``controller`` runs the flow, the pages show it."""

    def __init__(self, settings: Optional[Settings] = None, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.controller = MergeController(self)
        self.setWindowTitle("Mergesmith")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._close_box: Optional[QMessageBox] = None
        self._close_when_idle = False
        self._shut_down = False
        self.demo_root: Optional[str] = None  # where the demo is built (default: a new temp folder)

        self.banner = Banner(self)
        self.merge_page = MergePage(self.controller, self.settings, self)
        self.inspect_page = InspectPage(self.controller, self.settings, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.merge_page, icon("merge"), translate("MainWindow", "&Merge"))
        self.tabs.addTab(self.inspect_page, icon("inspect"), translate("MainWindow", "I&nspect"))
        self.tabs.setTabToolTip(0, translate("MainWindow", "Merge a training output into its base model"))
        self.tabs.setTabToolTip(1, translate("MainWindow", "Check any model folder without merging"))
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.log = LogPanel(self)
        self.log_dock = QDockWidget(translate("MainWindow", "Log"), self)
        self.log_dock.setObjectName("log-dock")
        self.log_dock.setWidget(self.log)
        self.log_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                                  | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self._build_menus()

        self.controller.message.connect(self._on_message)
        self.controller.sourceWanted.connect(self.offer_demo)
        self.controller.logged.connect(self.log.append)
        self.controller.stateChanged.connect(self._on_state_changed)
        self.resize(1100, 760)
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.resizeDocks([self.log_dock], [90], Qt.Orientation.Vertical)
        self.offer_demo()

    # -- menus
    def _build_menus(self) -> None:
        page = self.merge_page
        file_menu = self.menuBar().addMenu(translate("MainWindow", "&File"))
        self._action(file_menu, translate("MainWindow", "Open &training output\u2026"), "folder-open", QKeySequence.StandardKey.Open,
                     page.source_picker._browse_folder, translate("MainWindow", "Choose the work_dir, checkpoint or adapter"))
        self._action(file_menu, translate("MainWindow", "Open &base model\u2026"), "weights", "Ctrl+B",
                     page.base_picker._browse_folder, translate("MainWindow", "Choose the base model folder"))
        self._action(file_menu, translate("MainWindow", "&Inspect a folder\u2026"), "inspect", "Ctrl+I", self._inspect_folder,
                     translate("MainWindow", "Check any model folder without merging"))
        file_menu.addSeparator()
        self._action(file_menu, translate("MainWindow", "Try the &demo"), "demo", "Ctrl+D", self.start_demo,
                     translate("MainWindow", "Build a tiny training output and base model here, then preview their merge"))
        self._action(file_menu, translate("MainWindow", "Try the &LLaVA demo"), "demo", "Ctrl+Shift+D", self.start_llava_demo,
                     translate("MainWindow", "Build a tiny LLaVA run (LLM + CLIP LoRA, projector) with its base models, then preview"))
        file_menu.addSeparator()
        self._action(file_menu, translate("MainWindow", "&Quit"), None, QKeySequence.StandardKey.Quit, self.close, translate("MainWindow", "Close Mergesmith"))
        view = self.menuBar().addMenu(translate("MainWindow", "&View"))
        toggle = self.log_dock.toggleViewAction()
        toggle.setText(translate("MainWindow", "&Log"))
        toggle.setShortcut("Ctrl+L")
        toggle.setIcon(icon("log"))
        view.addAction(toggle)
        themes = view.addMenu(translate("MainWindow", "&Theme"))
        group = QActionGroup(self)
        current = str(self.settings.value("theme", "auto"))
        for name in THEMES:
            act = themes.addAction(translate("MainWindow", THEME_WORDS[name]))
            act.setCheckable(True)
            act.setChecked(name == current)
            act.triggered.connect(lambda _checked=False, n=name: self.set_theme(n))
            group.addAction(act)
        self._build_language_menu(view)
        help_menu = self.menuBar().addMenu(translate("MainWindow", "&Help"))
        self._action(help_menu, translate("MainWindow", "&About Mergesmith"), None, None, self._about,
                     translate("MainWindow", "Version and licence"))

    def _build_language_menu(self, view) -> None:
        menu = view.addMenu(translate("MainWindow", "&Language"))
        group = QActionGroup(self)
        current = str(self.settings.value("language", AUTO))
        for code in LANGUAGES:
            text = translate("MainWindow", "Follow the system") if code == AUTO else LANGUAGE_NAMES[code]
            act = menu.addAction(text)
            act.setCheckable(True)
            act.setChecked(code == current)
            act.setData(code)
            act.triggered.connect(lambda _checked=False, c=code: self.set_language(c))
            group.addAction(act)
        self.language_actions = group

    def set_language(self, code: str) -> None:
        """Remember the language; it takes effect when Mergesmith starts again (a dialog says so)."""
        if code not in LANGUAGES or code == str(self.settings.value("language", AUTO)):
            return
        self.settings.set_value("language", code)
        if chosen_language(code) == installed_language():
            return
        name = LANGUAGE_NAMES[chosen_language(code)]
        box = QMessageBox(QMessageBox.Icon.Information, translate("MainWindow", "Language"),
                          translate("MainWindow", "Mergesmith will be in {0} the next time it starts.")
                          .format(name), QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(translate("MainWindow", "Close Mergesmith and start it again to switch now; "
                                                       "what the window shows now stays as it is until then."))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.language_box = box
        box.open()

    def _action(self, menu, text, icon_name, shortcut, slot, tip) -> QAction:
        act = QAction(text, self)
        if icon_name:
            act.setIcon(icon(icon_name))
        if shortcut is not None:
            act.setShortcut(shortcut)
        act.setStatusTip(tip)
        act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        menu.addAction(act)
        return act

    # -- public API (app.py, tests)
    def open_paths(self, source: str = "", base: str = "", visual_encoder: str = "") -> None:
        """Fill the Merge page as if the user had chosen these paths."""
        page = self.merge_page
        if base:
            page.base_picker.commit(base)
        if visual_encoder:
            page.visual_picker.commit(visual_encoder)
        if source:
            page.source_picker.commit(source)

    def start_demo(self) -> None:
        self.tabs.setCurrentWidget(self.merge_page)
        self.controller.load_demo(self.demo_root)

    def start_llava_demo(self) -> None:
        self.tabs.setCurrentWidget(self.merge_page)
        self.controller.load_demo(self.demo_root, kind="llava")

    def offer_demo(self) -> None:
        self.banner.show_message(
            INFO, translate("MainWindow", "Choose a training output and its base model (Browse, or drop "
                            "folders on the fields), or try the built-in demo: a tiny XTuner run and base "
                            "model made on the spot."),
            translate("MainWindow", "Try the &demo"), self.start_demo, "demo",
            translate("MainWindow", "Build a tiny XTuner training output and base model in a temporary "
                      "folder (no download) and preview their merge"))

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.settings.set_value("theme", name)

    # -- signals
    def _on_message(self, severity: str, text: str) -> None:
        self.banner.show_message(severity, text)

    def _on_state_changed(self) -> None:
        if self._close_when_idle and not self.controller.busy:
            self._close_when_idle = False
            QTimer.singleShot(0, self.close)

    def _inspect_folder(self) -> None:
        self.tabs.setCurrentWidget(self.inspect_page)
        self.inspect_page.picker._browse_folder()

    def _about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, translate("MainWindow", "About Mergesmith"),
                          f"Mergesmith {__version__}\n\n" + translate(
                              "MainWindow", "Turns XTuner and PEFT fine-tuning output into a complete "
                              "Hugging Face safetensors folder, and checks model folders."),
                          QMessageBox.StandardButton.Ok, self)
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- drag and drop anywhere on the window: the training output, or the folder to inspect
    def dragEnterEvent(self, event) -> None:
        if dropped_path(event) and not self.controller.busy:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = dropped_path(event)
        if not path or self.controller.busy:
            return
        event.acceptProposedAction()
        if self.tabs.currentWidget() is self.inspect_page:
            self.inspect_page.picker.commit(path)
        else:
            self.merge_page.source_picker.commit(path)

    # -- closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.controller.busy:
            event.ignore()
            self._ask_to_cancel()
            return
        if self._close_box is not None:
            self._close_box.close()
        self.settings.set_value("window/geometry", self.saveGeometry())
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop background work and wait for the job thread (idempotent)."""
        if not self._shut_down:
            self._shut_down = True
            self.controller.shutdown()

    def _ask_to_cancel(self) -> None:
        if self._close_box is not None and self._close_box.isVisible():
            return
        box = QMessageBox(QMessageBox.Icon.Question, translate("MainWindow", "A merge is running"),
                          translate("MainWindow", "A merge is running. Cancel it and close Mergesmith?"),
                          parent=self)
        box.setInformativeText(translate("MainWindow", "Nothing is left behind: the partly written output "
                                                       "is removed."))
        box.addButton(translate("MainWindow", "Cancel the merge and &close"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(translate("MainWindow", "&Keep merging"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        # compare roles, not wrappers: the button passed by the signal may be another Python object
        box.buttonClicked.connect(lambda button: self._on_close_answer(
            box.buttonRole(button) == QMessageBox.ButtonRole.AcceptRole))
        self._close_box = box
        box.open()

    def _on_close_answer(self, cancel_and_close: bool) -> None:
        if not cancel_and_close:
            return
        self._close_when_idle = True
        self.controller.cancel()
        self._on_state_changed()
