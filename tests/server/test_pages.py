"""What a browser sees on the local host: direct links, thumbnails, image, delete and album
pages. HTML is parsed with the standard library's ``html.parser`` into a small tree, so the
checks follow the page's class contract and document order rather than its exact text."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from PIL import Image
from requests_oauthlib import OAuth1Session

from tests.conftest import ALICE, HostWithKeys
from tests.support import images
from tests.support.browser import sign_in, signed_session

TIMEOUT = 30
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


# -- a tiny DOM ----------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # own text, in order

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def text(self) -> str:
        parts = list(self.texts)
        for child in self.children:
            parts.append(child.text())
        return " ".join(p.strip() for p in parts if p.strip())

    def select(self, tag: str | None = None, cls: str | None = None,
               **attrs: str) -> list[Node]:
        """Descendants (and self) in document order: ``tag.cls[attr=value]``."""
        found = []
        for node in self.walk():
            if tag is not None and node.tag != tag:
                continue
            if cls is not None and cls not in node.classes:
                continue
            if any(node.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            found.append(node)
        return found

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.select(tag, cls, **attrs)
        assert len(found) == 1, f"expected one {tag}.{cls} {attrs}, found {len(found)}"
        return found[0]

    def contains(self, other: Node) -> bool:
        node: Node | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs},
                                          parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.texts.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def position(root: Node) -> Callable[[Node], int]:
    order = {id(node): i for i, node in enumerate(root.walk())}
    return lambda node: order[id(node)]


def page(url: str, status: int = 200) -> Node:
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == status, f"{url}: {resp.status_code}"
    assert resp.headers["Content-Type"].startswith("text/html")
    return dom(resp.text)


# -- helpers -----------------------------------------------------------------------------------


def upload(host: HostWithKeys, content: bytes, **fields: str) -> dict[str, Any]:
    resp = requests.post(host.api + "upload.json", data={"key": host.keys.key, **fields},
                         files={"image": ("file", content)}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()["upload"]  # type: ignore[no-any-return]


def api_image(host: HostWithKeys, hash_: str) -> requests.Response:
    return requests.get(f"{host.api}image/{hash_}.json", timeout=TIMEOUT)


def open_image(resp: requests.Response) -> Image.Image:
    img = Image.open(io.BytesIO(resp.content))
    img.load()
    return img


# -- direct links and thumbnails ------------------------------------------------------------------


@pytest.mark.parametrize(("make", "mime", "ext"), [
    (images.png, "image/png", "png"),
    (images.apng, "image/png", "png"),
    (images.jpeg, "image/jpeg", "jpg"),
    (images.gif, "image/gif", "gif"),
    (images.tiff, "image/tiff", "tif"),
    (images.bmp, "image/bmp", "bmp"),
    (images.pdf, "application/pdf", "pdf"),
    (images.xcf, "image/x-xcf", "xcf"),
], ids=["png", "apng", "jpeg", "gif", "tiff", "bmp", "pdf", "xcf"])
def test_direct_link_serves_the_exact_bytes(shared_host: HostWithKeys, make: Any, mime: str,
                                            ext: str) -> None:
    content = make()
    up = upload(shared_host, content)
    hash_ = up["image"]["hash"]
    url = f"{shared_host.url}{hash_}.{ext}"
    assert up["links"]["original"] == url
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].split(";")[0].strip() == mime
    assert resp.content == content
    # Thumbnails exist for every type, always JPEG.
    small = requests.get(f"{shared_host.url}{hash_}s.jpg", timeout=TIMEOUT)
    large = requests.get(f"{shared_host.url}{hash_}l.jpg", timeout=TIMEOUT)
    for thumb in (small, large):
        assert thumb.status_code == 200
        assert thumb.headers["Content-Type"].split(";")[0] == "image/jpeg"
        assert open_image(thumb).format == "JPEG"
    assert open_image(small).size == (90, 90)
    assert max(open_image(large).size) <= 640


def test_unknown_direct_link_and_thumbnail_are_404(shared_host: HostWithKeys) -> None:
    for path in ("zzzzzzz.png", "zzzzzzzs.jpg", "zzzzzzzl.jpg", "zzzzzzz"):
        resp = requests.get(shared_host.url + path, timeout=TIMEOUT)
        assert resp.status_code == 404, path


@pytest.mark.parametrize(("size", "large_size"), [
    ((1200, 900), (640, 480)),
    ((300, 1000), (192, 640)),
    ((64, 48), (64, 48)),
])
def test_thumbnails(shared_host: HostWithKeys, size: tuple[int, int],
                    large_size: tuple[int, int]) -> None:
    up = upload(shared_host, images.jpeg(size))
    hash_ = up["image"]["hash"]
    assert up["links"]["small_square"] == f"{shared_host.url}{hash_}s.jpg"
    assert up["links"]["large_thumbnail"] == f"{shared_host.url}{hash_}l.jpg"
    small = open_image(requests.get(up["links"]["small_square"], timeout=TIMEOUT))
    assert small.format == "JPEG"
    assert small.size == (90, 90)
    large = open_image(requests.get(up["links"]["large_thumbnail"], timeout=TIMEOUT))
    assert large.format == "JPEG"
    assert max(large.size) <= 640
    assert abs(large.size[0] - large_size[0]) <= 1
    assert abs(large.size[1] - large_size[1]) <= 1
    # The thumbnail shows the picture (the test images are one red colour).
    r, g, b = large.convert("RGB").getpixel((large.size[0] // 2, large.size[1] // 2))
    assert r > 150
    assert g < 100
    assert b < 100


# -- views and bandwidth --------------------------------------------------------------------------


def test_direct_link_fetches_count_views_and_bandwidth(shared_host: HostWithKeys) -> None:
    content = images.png((120, 80))
    up = upload(shared_host, content)
    hash_ = up["image"]["hash"]
    before = api_image(shared_host, hash_).json()["image"]["image"]
    assert (before["views"], before["bandwidth"]) == (0, 0)
    for _ in range(3):
        assert requests.get(up["links"]["original"], timeout=TIMEOUT).content == content
    after = api_image(shared_host, hash_).json()["image"]["image"]
    assert after["views"] == 3
    assert after["bandwidth"] == 3 * len(content)


# -- the image page --------------------------------------------------------------------------------


def test_image_page_shows_the_image(shared_host: HostWithKeys) -> None:
    up = upload(shared_host, images.png(), title="A calm title", caption="A calm caption")
    hash_ = up["image"]["hash"]
    doc = page(f"{shared_host.url}{hash_}")
    srcs = [n.attrs.get("src") for n in doc.select("img")]
    assert up["links"]["original"] in srcs
    text = doc.text()
    assert "A calm title" in text
    assert "A calm caption" in text
    assert up["image"]["deletehash"] not in requests.get(f"{shared_host.url}{hash_}",
                                                         timeout=TIMEOUT).text


def test_image_page_escapes_title_and_caption(shared_host: HostWithKeys) -> None:
    title = "<script>alert(1)</script>"
    caption = '<img src=x onerror="alert(2)">'
    up = upload(shared_host, images.png(), title=title, caption=caption)
    resp = requests.get(f"{shared_host.url}{up['image']['hash']}", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert "<script>alert(1)</script>" not in resp.text
    assert "<img src=x" not in resp.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in resp.text
    doc = dom(resp.text)
    assert not [n for n in doc.select("script") if "alert" in n.text()]
    assert not [n for n in doc.walk() if "onerror" in n.attrs]
    assert title in doc.text()
    assert caption in doc.text()


def test_unknown_image_page_is_404(shared_host: HostWithKeys) -> None:
    doc = page(f"{shared_host.url}zzzzzzz", status=404)  # page() checks status and type
    assert "There is no image at this address." in doc.text()


# -- --public-url ---------------------------------------------------------------------------------


@pytest.mark.parametrize("public_url", ["http://example.test", "http://example.test/"])
def test_public_url_is_the_base_of_every_link(make_host: Any, public_url: str) -> None:
    host: HostWithKeys = make_host("--public-url", public_url)
    base = "http://example.test/"
    real = host.url.split("//", 1)[1].rstrip("/")  # 127.0.0.1:PORT
    answers: list[requests.Response] = []

    up_json = requests.post(host.api + "upload.json", data={"key": host.keys.key},
                            files={"image": ("a.png", images.png())}, timeout=TIMEOUT)
    answers.append(up_json)
    up = up_json.json()["upload"]
    hash_, deletehash = up["image"]["hash"], up["image"]["deletehash"]
    assert up["links"] == {
        "original": f"{base}{hash_}.png",
        "imgur_page": f"{base}{hash_}",
        "delete_page": f"{base}delete/{deletehash}",
        "small_square": f"{base}{hash_}s.jpg",
        "large_thumbnail": f"{base}{hash_}l.jpg",
    }
    answers.append(requests.post(host.api + "upload.xml", data={"key": host.keys.key},
                                 files={"image": ("a.png", images.png())}, timeout=TIMEOUT))
    image = api_image(host, hash_)
    answers.append(image)
    assert image.json()["image"]["links"]["original"] == f"{base}{hash_}.png"
    answers.append(requests.get(host.api + f"image/{hash_}", timeout=TIMEOUT))
    oembed = requests.get(host.url + "oembed", params={"url": f"{base}{hash_}",
                                                       "format": "json"}, timeout=TIMEOUT)
    answers.append(oembed)
    assert oembed.json()["url"] == f"{base}{hash_}.png"  # oEmbed JSON is a bare object

    alice = signed_session(host.keys, sign_in(host.url, host.keys, *ALICE))
    mine = alice.post(host.api + "account/images.json", files={"image": ("b.png", images.png())},
                      timeout=TIMEOUT)
    answers.append(mine)
    mine_hash = mine.json()["images"]["image"]["hash"]
    album = alice.post(host.api + "account/albums.json",
                       data={"title": "Linked", "add_images": mine_hash}, timeout=TIMEOUT)
    answers.append(album)
    album_id = album.json()["albums"]["id"]
    assert album.json()["albums"]["link"] == f"{base}a/{album_id}"
    assert album.json()["albums"]["anonymous_link"] == f"{base}a/{album_id}"
    answers.append(requests.get(host.api + f"album/{album_id}.json", timeout=TIMEOUT))
    answers.append(requests.get(host.api + "gallery.json", timeout=TIMEOUT))

    for resp in answers:
        assert resp.status_code == 200, resp.text
        assert real not in resp.text, f"{resp.url} links to the listening address"
        assert "example.test" in resp.text.replace("\\/", "/")
        assert "example.test//" not in resp.text.replace("\\/", "/")

    doc = page(f"{host.url}{hash_}")
    assert doc.one("input", id="link-direct").attrs["value"] == f"{base}{hash_}.png"
    assert f"{base}{hash_}.png" in [n.attrs.get("src") for n in doc.select("img")]
    album_doc = page(f"{host.url}a/{album_id}")
    assert all(real not in n.attrs.get("src", "") for n in album_doc.select("img"))
    # The files are still served at the real address.
    assert requests.get(f"{host.url}{hash_}.png", timeout=TIMEOUT).status_code == 200


# -- the delete page -------------------------------------------------------------------------------


def test_delete_page_asks_first_and_deletes_on_post(shared_host: HostWithKeys) -> None:
    up = upload(shared_host, images.png(), title="Delete me")
    hash_, deletehash = up["image"]["hash"], up["image"]["deletehash"]
    delete_url = f"{shared_host.url}delete/{deletehash}"
    assert up["links"]["delete_page"] == delete_url

    doc = page(delete_url)
    forms = [f for f in doc.select("form") if f.attrs.get("method", "").lower() == "post"]
    assert len(forms) == 1
    form = forms[0]
    action = urljoin(delete_url, form.attrs.get("action", ""))
    assert action == delete_url
    assert form.select("button") or form.select("input", type="submit")
    assert "Delete me" in doc.text() or hash_ in doc.text()
    # Looking at the page deletes nothing.
    for _ in range(2):
        page(delete_url)
    assert api_image(shared_host, hash_).status_code == 200
    assert requests.get(up["links"]["original"], timeout=TIMEOUT).status_code == 200

    fields = {n.attrs["name"]: n.attrs.get("value", "")
              for n in form.walk() if n.tag in ("input", "button") and "name" in n.attrs}
    done = requests.post(action, data=fields, timeout=TIMEOUT)
    assert done.status_code == 200
    assert done.headers["Content-Type"].startswith("text/html")
    assert api_image(shared_host, hash_).status_code == 404
    for link in ("original", "small_square", "large_thumbnail", "imgur_page"):
        assert requests.get(up["links"][link], timeout=TIMEOUT).status_code == 404, link
    page(delete_url, status=404)
    assert requests.post(action, data=fields, timeout=TIMEOUT).status_code == 404


def test_delete_page_of_a_bad_deletehash_is_404(shared_host: HostWithKeys) -> None:
    doc = page(f"{shared_host.url}delete/notADeleteHash1", status=404)
    assert "This delete link is not valid" in doc.text()
    assert not doc.select("form")  # nothing to confirm: no delete button


# -- album pages -----------------------------------------------------------------------------------


@dataclass
class AlbumSet:
    order: list[str]  # album order, not upload order
    titles: dict[str, str]
    by_layout: dict[str, str]
    hidden: str
    secret: str


def create_album(session: OAuth1Session, api: str, hashes: list[str], **fields: str) -> str:
    resp = session.post(api + "account/albums.json",
                        data={"add_images": ",".join(hashes), **fields}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()["albums"]["id"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def album_set(shared_host: HostWithKeys, alice_tokens: Any) -> AlbumSet:
    alice = signed_session(shared_host.keys, alice_tokens)
    hashes, titles = [], {}
    for i in range(3):
        resp = alice.post(shared_host.api + "account/images.json",
                          data={"title": f"Picture {i}"},
                          files={"image": ("p.png", images.png((50 + i, 40)))}, timeout=TIMEOUT)
        assert resp.status_code == 200, resp.text
        hash_ = resp.json()["images"]["image"]["hash"]
        hashes.append(hash_)
        titles[hash_] = f"Picture {i}"
    order = [hashes[1], hashes[2], hashes[0]]
    by_layout = {layout: create_album(alice, shared_host.api, order, layout=layout,
                                      privacy="public", title=f"<b>{layout}</b> album")
                 for layout in ("blog", "vertical", "horizontal", "grid")}
    hidden = create_album(alice, shared_host.api, order, layout="blog", privacy="hidden",
                          title="Hidden album")
    secret = create_album(alice, shared_host.api, order, layout="blog", privacy="secret",
                          title="Secret album")
    return AlbumSet(order, titles, by_layout, hidden, secret)


def album_root(doc: Node, layout: str) -> Node:
    root = doc.one("div", "album")
    assert root.attrs.get("data-layout") == layout
    return root


def hashes_in(node: Node) -> list[str]:
    return [n.attrs["data-hash"] for n in node.walk() if "data-hash" in n.attrs
            and n is not node]


def test_blog_album_page(shared_host: HostWithKeys, album_set: AlbumSet) -> None:
    doc = page(f"{shared_host.url}a/{album_set.by_layout['blog']}")
    root = album_root(doc, "blog")
    articles = root.select("article", "blog-item")
    assert [a.attrs.get("data-hash") for a in articles] == album_set.order
    for article in articles:
        hash_ = article.attrs["data-hash"]
        assert album_set.titles[hash_] in article.text()
        srcs = [n.attrs.get("src", "") for n in article.select("img")]
        assert any(src.endswith(f"/{hash_}.png") for src in srcs), srcs
    assert not root.select("div", "stage")
    assert not root.select("div", "grid")
    # The album title is text, not markup.
    assert not root.select("b")
    assert "<b>blog</b> album" in root.text()


def test_vertical_album_page(shared_host: HostWithKeys, album_set: AlbumSet) -> None:
    doc = page(f"{shared_host.url}a/{album_set.by_layout['vertical']}")
    root = album_root(doc, "vertical")
    viewer = root.one("div", "viewer-vertical")
    stage = viewer.one("div", "stage")
    nav = viewer.one("nav", "thumbs-right")
    pos = position(doc)
    assert pos(stage) < pos(nav), "the stage must come before the thumbnails on the right"
    assert hashes_in(nav) == album_set.order
    assert not root.select("nav", "thumbs-top")
    assert not root.select("article", "blog-item")
    first = album_set.order[0]
    assert any(n.attrs.get("src", "").endswith(f"/{first}.png") for n in stage.select("img"))


def test_horizontal_album_page(shared_host: HostWithKeys, album_set: AlbumSet) -> None:
    doc = page(f"{shared_host.url}a/{album_set.by_layout['horizontal']}")
    root = album_root(doc, "horizontal")
    nav = root.one("nav", "thumbs-top")
    stage = root.one("div", "stage")
    pos = position(doc)
    assert pos(nav) < pos(stage), "the thumbnails on top must come before the stage"
    assert hashes_in(nav) == album_set.order
    assert not root.select("nav", "thumbs-right")
    assert not root.select("article", "blog-item")


def check_grid(root: Node, order: list[str]) -> None:
    grid = root.one("div", "grid")
    items = grid.select("a", "grid-item")
    assert [a.attrs.get("href") for a in items] == [f"#x-{h}" for h in order]
    for hash_ in order:
        expanded = root.one(id=f"x-{hash_}")
        assert expanded.tag == "div"
        assert "expanded" in expanded.classes
        assert not grid.contains(expanded)
        srcs = [n.attrs.get("src", "") for n in expanded.select("img")]
        assert any(src.endswith(f"/{hash_}.png") for src in srcs), srcs
    assert len(root.select("div", "expanded")) == len(order)


def test_grid_album_page(shared_host: HostWithKeys, album_set: AlbumSet) -> None:
    doc = page(f"{shared_host.url}a/{album_set.by_layout['grid']}")
    root = album_root(doc, "grid")
    check_grid(root, album_set.order)
    assert not root.select("article", "blog-item")
    assert not root.select("div", "stage")


def test_layout_query_overrides_the_album_layout(shared_host: HostWithKeys,
                                                 album_set: AlbumSet) -> None:
    doc = page(f"{shared_host.url}a/{album_set.by_layout['blog']}?layout=grid")
    root = album_root(doc, "grid")
    check_grid(root, album_set.order)
    assert not root.select("article", "blog-item")
    vertical = page(f"{shared_host.url}a/{album_set.by_layout['grid']}?layout=vertical")
    assert hashes_in(album_root(vertical, "vertical").one("nav", "thumbs-right")) \
        == album_set.order
    # An unknown layout falls back to the album's own.
    fallback = page(f"{shared_host.url}a/{album_set.by_layout['blog']}?layout=carousel")
    album_root(fallback, "blog")


def test_hidden_album_page_renders_secret_album_page_is_404(shared_host: HostWithKeys,
                                                            album_set: AlbumSet) -> None:
    doc = page(f"{shared_host.url}a/{album_set.hidden}")
    root = album_root(doc, "blog")
    assert [a.attrs.get("data-hash") for a in root.select("article", "blog-item")] \
        == album_set.order
    assert "Hidden album" in root.text()
    resp = requests.get(f"{shared_host.url}a/{album_set.secret}", timeout=TIMEOUT)
    assert resp.status_code == 404
    assert "Secret album" not in resp.text
    for image_hash in album_set.order:
        assert image_hash not in resp.text
    page(f"{shared_host.url}a/zzzzz", status=404)
