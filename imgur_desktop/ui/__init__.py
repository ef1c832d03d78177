"""PySide6 user interface (arrives with the desktop app issue)."""

from __future__ import annotations

import sys


def _immortalize_singletons() -> None:
    """Work around PySide6 6.12.0 on CPython 3.10/3.11 (its cp310-abi3 wheel claims both).

    There every ``Signal.emit()`` hands back ``True`` and every void method (``setText``,
    ``setEnabled``, ...) hands back ``None`` without a new reference, as if they were immortal
    (they are only from CPython 3.12, PEP 683). Each call takes one reference that was never
    given, so after some thousands of calls (a few uploads' progress signals) the interpreter
    aborts with "Fatal Python error: bool_dealloc" or "none_dealloc". Giving the three
    singletons a reference count no program can use up makes them immortal in effect, which is
    what CPython 3.12 does by design. Remove once PySide6 is pinned past the bug.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    if hasattr(sys, "gettotalrefcount"):  # a debug build lays out objects differently
        return
    import ctypes

    import PySide6

    if tuple(int(p) for p in PySide6.__version__.split(".")[:2]) < (6, 12):
        return
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40


_immortalize_singletons()
