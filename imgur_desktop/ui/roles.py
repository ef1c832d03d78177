"""Item data roles as plain numbers, for code that runs before the main window's first paint.

The first use of PySide6's ``Qt`` namespace builds every one of its Python enums (~18 ms), and
the window's first paint needs none of them (docs/performance.md, row 4). Roles are ints to Qt,
so these name the two the window uses before then; everything later may use ``Qt`` freely."""

from __future__ import annotations

DISPLAY_ROLE = 0  # Qt.ItemDataRole.DisplayRole
USER_ROLE = 0x0100  # Qt.ItemDataRole.UserRole
