"""The upload list draws a row once per look and copies it after: adding a row or scrolling
repaints every row on screen, and only rows whose look changed are drawn again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QPaintEvent, QPixmap
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from imgur_desktop.ui.upload_model import State, UploadItem, UploadListModel
from imgur_desktop.ui.upload_view import DrawnRows, UploadView


def _view(qtbot: QtBot, rows: int,
          on_screen: int | None = None) -> tuple[UploadView, UploadListModel, list[UploadItem]]:
    model = UploadListModel()
    view = UploadView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 700)
    items = [UploadItem(label=f"shot-{i}.png", size=1000 + i) for i in range(rows)]
    model.add(items)
    view.show()
    qtbot.waitExposed(view)
    # Laid out and painted once.
    qtbot.waitUntil(lambda: len(view.delegate._drawn) == (on_screen or rows))
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


class _PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints.append(type(watched).__name__ + ":" + watched.objectName())
        return False


def test_a_rows_news_repaints_that_row_and_nothing_else(qtbot: QtBot) -> None:
    """QListView lays every row out again after any row's news, and repaints the whole list,
    its scroll bar and the widgets behind them; the upload list only redraws the row."""
    # More rows than fit (700 px of 56 px rows): the scroll bar shows.
    view, model, items = _view(qtbot, 40, on_screen=13)
    assert view.verticalScrollBar().isVisible()
    counter = _PaintCounter()
    view.verticalScrollBar().installEventFilter(counter)
    view.installEventFilter(counter)
    viewport_rects: list[QRect] = []

    class ViewportRects(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                assert isinstance(event, QPaintEvent)
                viewport_rects.append(event.rect())
            return False

    rects = ViewportRects()
    view.viewport().installEventFilter(rects)
    row_rect = view.visualRect(model.index(2))
    for sent in range(0, 100, 5):  # twenty pieces of progress, then the row is done
        items[2].state = State.UPLOADING
        items[2].sent, items[2].total = sent, 100
        model.changed(items[2], look_only=True)
        QApplication.processEvents()
    items[2].state = State.DONE
    model.changed(items[2])
    items[30].state = State.FAILED  # a row off screen: nothing to paint at all
    model.changed(items[30])
    qtbot.wait(50)  # Qt's delayed layout (had it been asked for) runs from a zero timer
    QApplication.processEvents()
    assert counter.paints == []  # neither the scroll bar nor the frame around the rows
    assert viewport_rects, "the row was never repainted"
    assert all(row_rect.contains(rect) for rect in viewport_rects), viewport_rects


def test_rows_follow_the_width_of_the_window(qtbot: QtBot) -> None:
    """Rows are as wide as the list whatever its width was when they were laid out: the
    action links at their right edge stay on screen after the window is made narrower."""
    view, model, items = _view(qtbot, 40, on_screen=13)
    for width in (500, 1100, 640):
        view.resize(width, 700)
        items[2].state = State.FAILED  # news for a row, as during a batch
        model.changed(items[2])
        QApplication.processEvents()
        qtbot.waitUntil(lambda: view.visualRect(model.index(2)).width()
                        == view.viewport().width())
        assert not view.horizontalScrollBar().isVisible()
