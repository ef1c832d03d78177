"""The ways a link can be copied: direct, page, Markdown, BBCode, HTML, delete page."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the app's window opens before the models load
    from .models import Image


class LinkFormat(Enum):
    DIRECT = "direct"
    PAGE = "page"
    MARKDOWN = "markdown"
    MARKDOWN_THUMB = "markdown-thumb"
    BBCODE = "bbcode"
    BBCODE_THUMB = "bbcode-thumb"
    HTML = "html"
    DELETE = "delete"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    LinkFormat.DIRECT: "Direct link",
    LinkFormat.PAGE: "Page link",
    LinkFormat.MARKDOWN: "Markdown",
    LinkFormat.MARKDOWN_THUMB: "Markdown (linked thumbnail)",
    LinkFormat.BBCODE: "BBCode",
    LinkFormat.BBCODE_THUMB: "BBCode (linked thumbnail)",
    LinkFormat.HTML: "HTML",
    LinkFormat.DELETE: "Delete link",
}


def _alt(image: Image) -> str:
    return image.title or image.name or image.hash


def _markdown_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def format_link(image: Image, fmt: LinkFormat) -> str:
    links = image.links
    thumb = links.large_thumbnail or links.original
    alt = _alt(image)
    if fmt is LinkFormat.DIRECT:
        return links.original
    if fmt is LinkFormat.PAGE:
        return links.imgur_page
    if fmt is LinkFormat.MARKDOWN:
        return f"![{_markdown_text(alt)}]({links.original})"
    if fmt is LinkFormat.MARKDOWN_THUMB:
        return f"[![{_markdown_text(alt)}]({thumb})]({links.imgur_page})"
    if fmt is LinkFormat.BBCODE:
        return f"[img]{links.original}[/img]"
    if fmt is LinkFormat.BBCODE_THUMB:
        return f"[url={links.imgur_page}][img]{thumb}[/img][/url]"
    if fmt is LinkFormat.HTML:
        from html import escape  # here: only the HTML format needs it

        return (f'<a href="{escape(links.imgur_page)}"><img src="{escape(links.original)}" '
                f'alt="{escape(alt)}"></a>')
    if links.delete_page is None:
        raise ValueError("this image has no delete link (only its uploader sees it)")
    return links.delete_page
