"""The upload list draws a row once per look and copies it after: adding a row or scrolling
repaints every row on screen, and only rows whose look changed are drawn again."""

from __future__ import annotations

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from imgur_desktop.ui.upload_model import State, UploadItem, UploadListModel
from imgur_desktop.ui.upload_view import DrawnRows, UploadView


def _view(qtbot: QtBot, rows: int) -> tuple[UploadView, UploadListModel, list[UploadItem]]:
    model = UploadListModel()
    view = UploadView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 700)
    items = [UploadItem(label=f"shot-{i}.png", size=1000 + i) for i in range(rows)]
    model.add(items)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: len(view.delegate._drawn) == rows)  # laid out and painted once
    return view, model, items


def _count_draws(view: UploadView) -> list[str]:
    drawn: list[str] = []
    draw = view.delegate._draw_row

    def counting(item: UploadItem, option: object) -> QPixmap:
        drawn.append(item.label)
        return draw(item, option)  # type: ignore[arg-type]

    view.delegate._draw_row = counting  # type: ignore[method-assign]
    return drawn


def test_unchanged_rows_are_copied_and_a_changed_row_is_drawn_again(qtbot: QtBot) -> None:
    view, model, items = _view(qtbot, 8)
    drawn = _count_draws(view)
    view.viewport().repaint()
    assert drawn == []  # all eight already drawn by the first paint
    items[3].state = State.FAILED
    items[3].error = "The service is busy"
    model.changed(items[3])
    view.viewport().repaint()
    assert drawn == ["shot-3.png"]
    items[3].error = "The service is down"  # other words are a new look
    model.changed(items[3])
    view.viewport().repaint()
    assert drawn == ["shot-3.png", "shot-3.png"]
    view.selectionModel().select(model.index(5), view.selectionModel().SelectionFlag.Select)
    view.viewport().repaint()
    assert drawn[2:] == ["shot-5.png"]  # a selected row looks different
    items[6].state = State.UPLOADING  # a bar that moves is drawn straight, never kept
    items[6].sent, items[6].total = 40, 100
    model.changed(items[6])
    view.viewport().repaint()
    view.viewport().repaint()
    assert drawn[3:] == []


def test_the_copy_shows_what_drawing_afresh_shows(qtbot: QtBot) -> None:
    view, model, items = _view(qtbot, 3)
    items[1].state = State.FAILED
    items[1].error = "That file type is not supported!"
    model.changed(items[1])
    QApplication.processEvents()
    cached = view.viewport().grab().toImage()
    view.delegate._drawn = DrawnRows()  # forget every drawing: all rows drawn afresh
    fresh = view.viewport().grab().toImage()
    assert cached == fresh


def test_drawn_rows_keep_to_their_byte_budget() -> None:
    rows = DrawnRows(budget=3 * 100 * 10 * 4)  # room for three 100x10 pixmaps
    for n in range(5):
        rows.put((n,), QPixmap(100, 10))
    assert len(rows) == 3
    assert rows.get((0,)) is None  # the least recently used went first
    assert rows.get((4,)) is not None
    rows.get((2,))  # used: now it stays while the next one comes in
    rows.put((5,), QPixmap(100, 10))
    assert rows.get((2,)) is not None
    assert rows.get((3,)) is None
