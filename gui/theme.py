"""Light and dark palettes on the Fusion style, chosen explicitly or from the system.

Fusion draws the same on every platform, which keeps screenshots and tests reproducible;
the palettes only set colours, so widgets keep their native metrics and fonts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("auto", "light", "dark")

_LIGHT = {
    "Window": "#f4f5f7", "WindowText": "#1d1f23", "Base": "#ffffff", "AlternateBase": "#f0f2f5",
    "ToolTipBase": "#ffffe8", "ToolTipText": "#1d1f23", "PlaceholderText": "#8a8f98",
    "Text": "#1d1f23", "Button": "#eceef1", "ButtonText": "#1d1f23", "BrightText": "#d64541",
    "Highlight": "#4f46e5", "HighlightedText": "#ffffff", "Link": "#3b4fd8", "LinkVisited": "#6a3bd8",
    "Light": "#ffffff", "Midlight": "#e3e5e9", "Mid": "#b9bdc5", "Dark": "#9ca1aa", "Shadow": "#5a5f68",
}
_DARK = {
    "Window": "#25272b", "WindowText": "#e6e7ea", "Base": "#1b1c1f", "AlternateBase": "#232528",
    "ToolTipBase": "#33363b", "ToolTipText": "#e6e7ea", "PlaceholderText": "#80858e",
    "Text": "#e6e7ea", "Button": "#31343a", "ButtonText": "#e6e7ea", "BrightText": "#ff6b60",
    "Highlight": "#6d66f0", "HighlightedText": "#ffffff", "Link": "#8fa2ff", "LinkVisited": "#b49cff",
    "Light": "#3d4046", "Midlight": "#34373c", "Mid": "#2a2c30", "Dark": "#17181a", "Shadow": "#0c0c0d",
}
_DISABLED_TEXT = {"light": "#9ca1aa", "dark": "#6c717a"}


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def palette(name: str) -> QPalette:
    """The light or dark palette."""
    colors = _DARK if name == "dark" else _LIGHT
    pal = QPalette()
    for role_name, value in colors.items():
        pal.setColor(getattr(QPalette.ColorRole, role_name), QColor(value))
    disabled = QColor(_DISABLED_TEXT["dark" if name == "dark" else "light"])
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(colors["Mid"]))
    return pal


def apply_theme(app: QApplication, name: str = "auto") -> str:
    """Use Fusion with the light or dark palette; ``auto`` follows the system. Returns the one used."""
    if name not in THEMES:
        name = "auto"
    if name == "auto":
        name = "dark" if system_prefers_dark() else "light"
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    app.setPalette(palette(name))
    return name
