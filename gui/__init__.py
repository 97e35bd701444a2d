"""Mergesmith desktop app (PySide6 + qasync); thin views over mergesmith.core."""
