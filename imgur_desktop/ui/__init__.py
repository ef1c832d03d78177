"""PySide6 user interface (arrives with the desktop app issue)."""
