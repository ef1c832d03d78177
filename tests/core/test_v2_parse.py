"""v2 bodies to models: the captured fixtures (``shared/api/fixtures/v2-*`` and the v3 error
envelopes), the quirks real servers sent, and hostile XML."""

from __future__ import annotations

import datetime as dt

import pytest

from imgur_desktop.core.api import v2_parse as p
from imgur_desktop.core.errors import BadResponse
from imgur_desktop.core.models import Album, Credits, Image, ImageLinks, Stats
from tests.core.conftest import FIXTURES

UTC = dt.UTC


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fmt_of(name: str) -> str:
    return p.XML if name.endswith(".xml") else p.JSON


# -- every v2 fixture --------------------------------------------------------------------------

UPLOAD_JSON = Image(
    hash="oZnWx",
    deletehash="nJwCR4zpUXU7I0W",
    links=ImageLinks(
        original="http://i.imgur.com/oZnWx.jpg",
        imgur_page="http://imgur.com/oZnWx",
        small_square="http://i.imgur.com/oZnWxs.jpg",
        large_thumbnail="http://i.imgur.com/oZnWxl.jpg",
        delete_page="http://imgur.com/delete/nJwCR4zpUXU7I0W",
    ),
    name=None, title=None, caption=None,
    datetime=dt.datetime(2012, 9, 9, 0, 48, 28, tzinfo=UTC),
    mime="image/jpeg", animated=False, width=1680, height=988, size=228631, views=0,
    bandwidth=0,
)

UPLOAD_XML = Image(
    hash="koo98",
    deletehash="YNC29U4k1s3M3Lg",
    links=ImageLinks(
        original="http://i.imgur.com/koo98.jpg",
        imgur_page="http://imgur.com/koo98",
        small_square="http://i.imgur.com/koo98s.jpg",
        large_thumbnail="http://i.imgur.com/koo98l.jpg",
        delete_page="http://imgur.com/delete/YNC29U4k1s3M3Lg",
    ),
    name=None, title=None, caption=None,
    datetime=dt.datetime(2011, 9, 19, 1, 38, 22, tzinfo=UTC),
    mime="image/jpeg", animated=False, width=640, height=480, size=167358, views=0,
    bandwidth=0,
)

STATS = Stats(
    most_popular_images=("gn2gN", "cXQqZ", "JiPqw", "WdRim", "zPxWo"),
    images_uploaded=1627648,
    images_viewed=1080303365,  # from the misspelt "images_veiwed"
    bandwidth_used="4.58 TB",
    average_image_size="40.74 KB",
)

# What each v2 fixture must turn into: (root, converter, expected).
V2_EXPECTED: dict[str, tuple[str, object, object]] = {
    "v2-upload-anon.json": ("upload", p.image_from, UPLOAD_JSON),
    "v2-upload-anon.xml": ("upload", p.image_from, UPLOAD_XML),
    "v2-stats.json": ("stats", p.stats_from, STATS),
    "v2-error-invalid-api-key.json": ("error", None, "Invalid API Key"),
}


def v2_fixtures() -> list[str]:
    return sorted(path.name for path in FIXTURES.glob("v2-*"))


def test_the_fixture_folder_is_there() -> None:
    assert FIXTURES.is_dir(), f"missing {FIXTURES}"
    assert len(v2_fixtures()) >= 4


@pytest.mark.parametrize("name", v2_fixtures())
def test_every_v2_fixture_parses(name: str) -> None:
    assert name in V2_EXPECTED, f"{name} is new: say what it must parse to"
    root, convert, expected = V2_EXPECTED[name]
    parsed = p.parse_body(fixture(name), fmt_of(name))
    assert list(parsed) == [root]
    if convert is None:
        assert p.error_message(parsed) == expected
    else:
        assert convert(parsed[root]) == expected  # type: ignore[operator]


def test_upload_fixture_types() -> None:
    image = p.image_from(p.parse_body(fixture("v2-upload-anon.json"), p.JSON)["upload"])
    assert image.datetime is not None
    assert image.datetime.utcoffset() == dt.timedelta(0)
    assert image.animated is False
    assert all(isinstance(v, int) and not isinstance(v, bool)
               for v in (image.width, image.height, image.size, image.views, image.bandwidth))


def test_xml_fixture_read_by_sniffing_even_when_json_was_asked() -> None:
    parsed = p.parse_body(fixture("v2-upload-anon.xml"), p.JSON)
    assert p.image_from(parsed["upload"]) == UPLOAD_XML


def test_xml_self_closing_tags_are_none() -> None:
    parsed = p.parse_body(fixture("v2-upload-anon.xml"), p.XML)
    fields = parsed["upload"]["image"]
    assert fields["name"] is None
    assert fields["title"] is None
    assert fields["caption"] is None
    assert fields["animated"] == "false"


def test_error_fixture_is_an_error_not_an_image() -> None:
    parsed = p.parse_body(fixture("v2-error-invalid-api-key.json"), p.JSON)
    assert "error" in parsed
    assert parsed["error"]["method"] == "post"


# -- v3 error envelopes ------------------------------------------------------------------------

V3_ERRORS = {
    "v3-error-no-image.json": "No image data was sent to the upload api",
    "v3-error.xml": "No image data was sent to the upload api",
    "v3-error-417.json": "Internal expectation failed",
    "v3-error-auth-required.json": "Authentication required",
    "v3-error-http-disabled.json": "HTTP Access is disabled. Requests must use SSL (HTTPS).",
}


@pytest.mark.parametrize(("name", "message"), sorted(V3_ERRORS.items()))
def test_v3_error_envelopes(name: str, message: str) -> None:
    assert p.error_message(p.parse_body(fixture(name), fmt_of(name))) == message


def test_other_error_shapes() -> None:
    assert p.error_message({"error": "plain text"}) == "plain text"
    assert p.error_message({"data": {"error": {"message": "nested"}}}) == "nested"
    assert p.error_message({"errors": [{"status": "429", "detail": "Too many"}]}) == "Too many"
    assert p.error_message({"errors": [{"title": "Bad"}]}) == "Bad"
    assert p.error_message({"error": {"message": None}}) is None
    assert p.error_message({"upload": {}}) is None
    xml = b'<?xml version="1.0"?><error><message>Invalid delete hash</message></error>'
    assert p.error_message(p.parse_body(xml, p.XML)) == "Invalid delete hash"


# -- quirks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("true", True), ("false", False), ("TRUE ", True), ("1", True), ("0", False),
    ("yes", True), ("", False), (None, False), (True, True), (0, False), (1, True),
])
def test_string_booleans(raw: object, expected: bool) -> None:
    assert p.as_bool(raw) is expected


@pytest.mark.parametrize(("raw", "expected"), [
    (640, 640), ("640", 640), (" 480 ", 480), ("1.5e3", 1500), (12.9, 12), (None, 0),
    ("n/a", 0), (True, 1),
])
def test_numbers_as_strings(raw: object, expected: int) -> None:
    assert p.as_int(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2012-09-09 00:48:28", dt.datetime(2012, 9, 9, 0, 48, 28, tzinfo=UTC)),
    (1347151708, dt.datetime(2012, 9, 9, 0, 48, 28, tzinfo=UTC)),
    ("1347151708", dt.datetime(2012, 9, 9, 0, 48, 28, tzinfo=UTC)),
    ("", None), (None, None), ("yesterday", None),
])
def test_datetimes_are_utc(raw: object, expected: dt.datetime | None) -> None:
    assert p.as_datetime(raw) == expected


def test_numbers_and_booleans_as_strings_in_an_image() -> None:
    body = (b'{"image":{"image":{"hash":"abcde","width":"640","height":"480","size":"1234",'
            b'"views":"7","bandwidth":"8638","animated":"true","datetime":"2013-01-02 03:04:05",'
            b'"type":"image\\/gif"},"links":{"original":"http:\\/\\/h\\/abcde.gif",'
            b'"imgur_page":"http:\\/\\/h\\/abcde"}}}')
    image = p.image_from(p.parse_body(body, p.JSON)["image"])
    assert (image.width, image.height, image.size, image.views, image.bandwidth) == (
        640, 480, 1234, 7, 8638)
    assert image.animated is True
    assert image.mime == "image/gif"
    assert image.links.original == "http://h/abcde.gif"
    assert image.datetime == dt.datetime(2013, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_missing_fields_get_defaults_and_extra_fields_are_ignored() -> None:
    body = (b'{"image":{"image":{"hash":"abcde","nsfw":"false","score":12},'
            b'"links":{"original":"http://h/abcde.png","big_square":"http://h/abcdeb.png"},'
            b'"extra":{"what":1}}}')
    image = p.image_from(p.parse_body(body, p.JSON)["image"])
    assert image == Image(hash="abcde", links=ImageLinks(original="http://h/abcde.png",
                                                         imgur_page=""))


def test_nulls_are_none() -> None:
    body = (b'{"upload":{"image":{"hash":"abcde","name":null,"title":null,"caption":null,'
            b'"deletehash":null,"datetime":null,"type":null,"width":null},'
            b'"links":{"original":"x","imgur_page":"y","delete_page":null}}}')
    image = p.image_from(p.parse_body(body, p.JSON)["upload"])
    assert (image.name, image.title, image.caption, image.deletehash, image.datetime,
            image.mime, image.links.delete_page) == (None,) * 7
    assert image.width == 0


def test_flat_image_objects_are_read_too() -> None:
    image = p.image_from({"id": "Zz9", "link": "http://h/Zz9.png", "type": "image/png"})
    assert image.hash == "Zz9"
    assert image.links.original == "http://h/Zz9.png"


def test_image_without_hash_is_bad_response() -> None:
    with pytest.raises(BadResponse, match="hash"):
        p.image_from({"image": {"title": "no hash"}, "links": {}})
    with pytest.raises(BadResponse):
        p.image_from("not even an object")


XML_ALBUM_ONE = b"""<?xml version="1.0" encoding="utf-8"?>
<album>
  <title>Trip</title>
  <description/>
  <cover>aaaaa</cover>
  <layout>grid</layout>
  <images>
    <item><image><title/><caption/><hash>aaaaa</hash><animated>true</animated>
      <width>10</width><height>20</height></image>
      <links><original>http://h/aaaaa.gif</original><imgur_page>http://h/aaaaa</imgur_page>
      </links></item>
  </images>
</album>"""


def test_xml_item_array_with_one_member_is_still_a_list() -> None:
    album = p.album_from(p.parse_body(XML_ALBUM_ONE, p.XML)["album"], "Abc12")
    assert album.id == "Abc12"
    assert (album.title, album.description, album.cover, album.layout) == (
        "Trip", None, "aaaaa", "grid")
    assert [i.hash for i in album.images] == ["aaaaa"]
    assert album.images[0].animated is True
    assert (album.images[0].width, album.images[0].height) == (10, 20)
    assert album.images[0].title is None


def test_xml_item_arrays_and_empty_arrays() -> None:
    body = (b"<?xml version='1.0'?><albums><item><id>a1</id><order>2</order>"
            b"<privacy>secret</privacy></item><item><id>a2</id><order/></item></albums>")
    albums = p.parse_body(body, p.XML)["albums"]
    assert isinstance(albums, list)
    parsed = [p.album_from(a) for a in albums]
    assert [(a.id, a.order, a.privacy) for a in parsed] == [("a1", 2, "secret"),
                                                           ("a2", None, None)]
    empty = p.parse_body(b"<?xml version='1.0'?><gallery><images/></gallery>", p.XML)
    assert p.images_from(empty["gallery"]["images"]) == ()


def test_json_album_object() -> None:
    body = (b'{"albums":{"id":"ETrZe","title":"Test","description":null,"privacy":"public",'
            b'"cover":null,"order":"0","layout":"blog","datetime":"2012-05-20 08:00:00",'
            b'"link":"http:\\/\\/h\\/a\\/ETrZe","anonymous_link":"http:\\/\\/h\\/a\\/ETrZe"}}')
    album = p.album_from(p.parse_body(body, p.JSON)["albums"])
    assert album == Album(id="ETrZe", title="Test", privacy="public", layout="blog", order=0,
                          datetime=dt.datetime(2012, 5, 20, 8, 0, tzinfo=UTC),
                          link="http://h/a/ETrZe")


def test_album_without_id_is_bad_response() -> None:
    with pytest.raises(BadResponse):
        p.album_from({"title": "nameless"})


def test_stats_popular_images_in_xml() -> None:
    items = (b"<?xml version='1.0'?><stats><most_popular_images><item>a1</item><item>b2</item>"
             b"</most_popular_images><images_uploaded>3</images_uploaded>"
             b"<images_veiwed>9</images_veiwed><bandwidth_used>1 KB</bandwidth_used>"
             b"<average_image_size>1 B</average_image_size></stats>")
    stats = p.stats_from(p.parse_body(items, p.XML)["stats"])
    assert stats == Stats(("a1", "b2"), 3, 9, "1 KB", "1 B")
    one = (b"<?xml version='1.0'?><stats><most_popular_images><item>a1</item>"
           b"</most_popular_images></stats>")
    assert p.stats_from(p.parse_body(one, p.XML)["stats"]).most_popular_images == ("a1",)
    none = (b"<?xml version='1.0'?><stats><most_popular_images/>"
            b"<images_viewed>4</images_viewed></stats>")
    stats = p.stats_from(p.parse_body(none, p.XML)["stats"])
    assert stats.most_popular_images == ()
    assert stats.images_viewed == 4  # the correct spelling is read too


@pytest.mark.parametrize("count", [1, 3])
def test_stats_popular_images_as_image_hash_elements(count: int) -> None:
    # One old client read <image_hash> members instead of <item>; one member or several.
    members = b"".join(b"<image_hash>h%d</image_hash>" % i for i in range(count))
    body = (b"<?xml version='1.0'?><stats><most_popular_images>" + members
            + b"</most_popular_images></stats>")
    stats = p.stats_from(p.parse_body(body, p.XML)["stats"])
    assert stats.most_popular_images == tuple(f"h{i}" for i in range(count))


def test_credits_and_account() -> None:
    credits = p.credits_from(p.parse_body(
        b'{"credits":{"limit":"500","remaining":"486","reset":"1347153600",'
        b'"refresh_in_secs":2606}}', p.JSON)["credits"])
    assert credits == Credits(500, 486, dt.datetime.fromtimestamp(1347153600, UTC))
    assert p.credits_from({"limit": 5, "remaining": 5}).reset_at is None
    account = p.account_from(p.parse_body(
        b"<?xml version='1.0'?><account><url>alice</url><is_pro>true</is_pro>"
        b"<default_album_privacy>secret</default_album_privacy><public_images>false"
        b"</public_images></account>", p.XML)["account"])
    assert (account.username, account.is_pro, account.default_album_privacy,
            account.public_images) == ("alice", True, "secret", False)


# -- not v2 bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "fmt", "words"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00", p.JSON, "garbage"),
    (b"<!DOCTYPE html><html><body>Over capacity</body></html>", p.JSON, "web page"),
    (b"<html><body>busy</body></html>", p.JSON, "web page"),
    (b"[1, 2, 3]", p.JSON, "wrong shape"),
    (b'"just a string"', p.JSON, "wrong shape"),
    (b"", p.JSON, "garbage"),
    (b"\xff\xfe\xfa not utf-8", p.JSON, "garbage"),
    (b"<upload><image>", p.XML, "XML"),
    (b"{\"upload\": {}}", p.XML, "XML"),
    (b"", p.XML, "XML"),
])
def test_non_v2_bodies_are_bad_response(body: bytes, fmt: str, words: str) -> None:
    with pytest.raises(BadResponse) as info:
        p.parse_body(body, fmt)
    assert words in info.value.message
    assert info.value.body == body


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<upload><image><hash>&lol9;</hash></image><links/></upload>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE upload [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<upload><image><hash>abcde</hash><title>&xxe;</title></image><links/></upload>"""

SMALL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE upload [<!ENTITY who "nobody">]>
<upload><image><hash>abcde</hash><title>&who;</title></image><links/></upload>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, SMALL_ENTITY],
                         ids=["billion-laughs", "external-entity", "any-dtd"])
@pytest.mark.parametrize("fmt", [p.XML, p.JSON])
def test_hostile_xml_is_refused(body: bytes, fmt: str) -> None:
    # Asked for JSON, the <?xml prefix still routes it through the hardened parser.
    with pytest.raises(BadResponse) as info:
        p.parse_body(body, fmt)
    assert "Forbidden" in info.value.message  # refused by defusedxml, not a plain parse error

