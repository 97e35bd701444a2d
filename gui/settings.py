"""Remembered choices (recent paths per field, theme, window geometry) in QSettings.

The window gets a :class:`Settings`; tests give it one backed by a temporary INI file so
nothing leaks into the user's real settings.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QSettings

MAX_RECENT = 10
ORGANIZATION = "Mergesmith"
APPLICATION = "Mergesmith"


class Settings:
    """Recent paths and a few preferences."""

    def __init__(self, qsettings: Optional[QSettings] = None) -> None:
        self._q = qsettings if qsettings is not None else QSettings(ORGANIZATION, APPLICATION)

    @classmethod
    def at(cls, ini_path: str) -> "Settings":
        """Settings kept in one INI file (for tests and portable installs)."""
        return cls(QSettings(str(ini_path), QSettings.Format.IniFormat))

    def recent(self, kind: str) -> list[str]:
        """Recent paths for the field ``kind`` (newest first)."""
        value = self._q.value(f"recent/{kind}", [])
        if isinstance(value, str):  # QSettings returns a lone string for one-item lists
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, kind: str, path: str) -> list[str]:
        path = str(path).strip()
        if not path:
            return self.recent(kind)
        items = [path] + [p for p in self.recent(kind) if p != path]
        items = items[:MAX_RECENT]
        self._q.setValue(f"recent/{kind}", items)
        return items

    def value(self, key: str, default=None):
        return self._q.value(key, default)

    def set_value(self, key: str, value) -> None:
        self._q.setValue(key, value)

    def sync(self) -> None:
        self._q.sync()
