"""Every way a link can be copied, with escaping, thumbnail and alt-text fallbacks."""

from __future__ import annotations

import pytest

from imgur_desktop.core.links import LinkFormat, format_link
from imgur_desktop.core.models import Image, ImageLinks

LINKS = ImageLinks(
    original="http://127.0.0.1:8750/aBc12.png",
    imgur_page="http://127.0.0.1:8750/aBc12",
    small_square="http://127.0.0.1:8750/aBc12s.jpg",
    large_thumbnail="http://127.0.0.1:8750/aBc12l.jpg",
    delete_page="http://127.0.0.1:8750/delete/0123456789abcde",
)
IMAGE = Image(hash="aBc12", links=LINKS, title="Sunset", name="sunset.png")

EXPECTED = {
    LinkFormat.DIRECT: "http://127.0.0.1:8750/aBc12.png",
    LinkFormat.PAGE: "http://127.0.0.1:8750/aBc12",
    LinkFormat.MARKDOWN: "![Sunset](http://127.0.0.1:8750/aBc12.png)",
    LinkFormat.MARKDOWN_THUMB:
        "[![Sunset](http://127.0.0.1:8750/aBc12l.jpg)](http://127.0.0.1:8750/aBc12)",
    LinkFormat.BBCODE: "[img]http://127.0.0.1:8750/aBc12.png[/img]",
    LinkFormat.BBCODE_THUMB:
        "[url=http://127.0.0.1:8750/aBc12][img]http://127.0.0.1:8750/aBc12l.jpg[/img][/url]",
    LinkFormat.HTML: '<a href="http://127.0.0.1:8750/aBc12"><img '
                     'src="http://127.0.0.1:8750/aBc12.png" alt="Sunset"></a>',
    LinkFormat.DELETE: "http://127.0.0.1:8750/delete/0123456789abcde",
}


def test_every_format_is_covered() -> None:
    assert set(EXPECTED) == set(LinkFormat)
    assert {f.value for f in LinkFormat} == {
        "direct", "page", "markdown", "markdown-thumb", "bbcode", "bbcode-thumb", "html",
        "delete"}


@pytest.mark.parametrize("fmt", list(LinkFormat), ids=lambda f: f.value)
def test_format_link(fmt: LinkFormat) -> None:
    assert format_link(IMAGE, fmt) == EXPECTED[fmt]


@pytest.mark.parametrize("fmt", list(LinkFormat), ids=lambda f: f.value)
def test_every_format_has_a_label(fmt: LinkFormat) -> None:
    assert fmt.label
    assert LinkFormat(fmt.value) is fmt


def test_html_escapes_everything() -> None:
    image = Image(hash="h1", title='"Tom" & <Jerry>',
                  links=ImageLinks(original='http://h/h1.png?a=1&b="2"',
                                   imgur_page="http://h/h1?x=<y>"))
    assert format_link(image, LinkFormat.HTML) == (
        '<a href="http://h/h1?x=&lt;y&gt;"><img src="http://h/h1.png?a=1&amp;b=&quot;2&quot;" '
        'alt="&quot;Tom&quot; &amp; &lt;Jerry&gt;"></a>')


def test_markdown_escapes_brackets_in_alt_text() -> None:
    image = Image(hash="h1", title=r"a [b] \c", links=LINKS)
    assert format_link(image, LinkFormat.MARKDOWN) == (
        r"![a \[b\] \\c](http://127.0.0.1:8750/aBc12.png)")


def test_alt_text_falls_back_to_name_then_hash() -> None:
    named = Image(hash="h1", name="cat.png", links=LINKS)
    assert format_link(named, LinkFormat.MARKDOWN).startswith("![cat.png](")
    bare = Image(hash="h1", links=LINKS)
    assert format_link(bare, LinkFormat.MARKDOWN).startswith("![h1](")
    assert 'alt="h1"' in format_link(bare, LinkFormat.HTML)


def test_thumbnail_formats_fall_back_to_the_original() -> None:
    image = Image(hash="h1", links=ImageLinks(original="http://h/h1.pdf",
                                              imgur_page="http://h/h1"))
    assert format_link(image, LinkFormat.MARKDOWN_THUMB) == "[![h1](http://h/h1.pdf)](http://h/h1)"
    assert format_link(image, LinkFormat.BBCODE_THUMB) == (
        "[url=http://h/h1][img]http://h/h1.pdf[/img][/url]")


def test_delete_link_without_delete_page_is_refused() -> None:
    public_view = Image(hash="h1", links=ImageLinks(original="http://h/h1.png",
                                                    imgur_page="http://h/h1"))
    with pytest.raises(ValueError, match="delete link"):
        format_link(public_view, LinkFormat.DELETE)
