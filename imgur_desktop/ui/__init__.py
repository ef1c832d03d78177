"""PySide6 user interface: widgets, models and views, and the workers that call the core."""
