"""SVG icons from ``mergesmith.resources/icons``, drawn at whatever size and pixel ratio is asked.

Monochrome icons are drawn with ``currentColor``; :class:`SvgIconEngine` substitutes the
application palette's text colour at paint time (the disabled one for disabled icons), so the
same file serves the light and dark palettes and follows a palette change without reloading.
Coloured icons (status, app icon) are drawn as they are. Rendering from the vector at the
device pixel ratio keeps icons sharp on HiDPI screens.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_PACKAGE = "mergesmith.resources"


def icon_folder():
    """The ``icons`` folder of the resources package (a Traversable)."""
    return resources.files(ICON_PACKAGE).joinpath("icons")


@lru_cache(maxsize=None)
def svg_text(name: str) -> str:
    """The SVG source of icon ``name`` (without ``.svg``)."""
    return icon_folder().joinpath(f"{name}.svg").read_text(encoding="utf-8")


def available() -> list[str]:
    """Names of every icon shipped in the resources."""
    return sorted(p.name[:-4] for p in icon_folder().iterdir() if p.name.endswith(".svg"))


@lru_cache(maxsize=256)
def _renderer(name: str, color: str) -> QSvgRenderer:
    text = svg_text(name)
    if "currentColor" in text:
        text = text.replace("currentColor", color)
    return QSvgRenderer(QByteArray(text.encode("utf-8")))


def _color_for(mode: QIcon.Mode) -> str:
    palette = QGuiApplication.palette()
    group = QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else QPalette.ColorGroup.Active
    role = QPalette.ColorRole.HighlightedText if mode == QIcon.Mode.Selected else QPalette.ColorRole.WindowText
    return palette.color(group, role).name()


class SvgIconEngine(QIconEngine):
    """Draw one SVG icon at the requested size, in the palette's colours."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._mono = "currentColor" in svg_text(name)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        color = _color_for(mode) if self._mono else "#000000"
        painter.save()
        if mode == QIcon.Mode.Disabled and not self._mono:
            painter.setOpacity(0.45)
        _renderer(self._name, color).render(painter, QRectF(rect))
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return QPixmap.fromImage(image)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        device = QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
        pm = self.pixmap(device, mode, state)
        pm.setDevicePixelRatio(scale)
        return pm

    def clone(self) -> "SvgIconEngine":
        engine = SvgIconEngine(self._name)
        _KEEP.append(engine)
        return engine

    def key(self) -> str:
        return "mergesmith-svg"


# QIcon holds its engine as a C++ pointer; the Python wrappers must outlive every icon.
_KEEP: list[SvgIconEngine] = []
_ICONS: dict[str, QIcon] = {}


def icon(name: str) -> QIcon:
    """A QIcon drawing ``resources/icons/<name>.svg`` (shared; copies are cheap)."""
    found = _ICONS.get(name)
    if found is None:
        engine = SvgIconEngine(name)
        _KEEP.append(engine)
        found = _ICONS[name] = QIcon(engine)
    return QIcon(found)


def app_icon() -> QIcon:
    """The application icon (also installed by packaging/)."""
    return icon("mergesmith")


def status_icon(status: str | None) -> QIcon:
    """The icon for a row status (ok / warning / error / info), or a null icon."""
    return icon(status) if status in ("ok", "warning", "error", "info", "busy") else QIcon()
