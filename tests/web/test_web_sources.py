import gzip
import time
from datetime import UTC, date, datetime

import pytest

from pressroom.web.listings import LISTING_LIMIT, Listing, expand_sources, parse_listing
from pressroom.web.specs import SourceSpec, normalize_url, parse_source, read_sources_file, wanted

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Newsroom</title>
    <link>https://example.org/</link>
    <atom:link href="https://example.org/feed.xml" rel="self"/>
    <item>
      <title>New plant</title>
      <link>https://example.org/news/plant?utm_source=rss</link>
      <pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate>
    </item>
    <item>
      <title>Old results</title>
      <link>/news/results</link>
      <pubDate>Mon, 01 Jan 2024 12:00:00 GMT</pubDate>
    </item>
    <item>
      <title>Undated, link in the guid</title>
      <guid>https://example.org/news/undated</guid>
    </item>
    <item><title>No link at all</title><guid isPermaLink="false">tag:1</guid></item>
  </channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<a:feed xmlns:a="http://www.w3.org/2005/Atom">
  <a:title>Press</a:title>
  <a:link rel="self" href="/press/atom.xml"/>
  <a:entry>
    <a:title>Merger</a:title>
    <a:link rel="edit" href="/edit/1"/>
    <a:link rel="alternate" href="releases/merger.html"/>
    <a:published>2024-02-01T08:00:00Z</a:published>
    <a:updated>2024-02-03T10:00:00+02:00</a:updated>
  </a:entry>
  <a:entry>
    <a:title>Relative to xml:base</a:title>
    <a:link href="q3.html" xml:base="https://cdn.example.net/archive/"/>
    <a:updated>2023-10-01</a:updated>
  </a:entry>
</a:feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://example.com/">
    <title>Agency</title>
    <link>https://example.com/</link>
  </channel>
  <item rdf:about="https://example.com/a">
    <title>A</title><link>https://example.com/a</link><dc:date>2024-04-02T00:00:00Z</dc:date>
  </item>
  <item rdf:about="https://example.com/b"><title>B</title><link>https://example.com/b</link></item>
</rdf:RDF>"""


def sitemap(*entries: tuple[str, str | None]) -> bytes:
    urls = "".join(
        f"<url><loc>{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>"
        for loc, mod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def sitemap_index(*entries: tuple[str, str | None]) -> bytes:
    children = "".join(
        f"<sitemap><loc>{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</sitemap>"
        for loc, mod in entries
    )
    return f"<sitemapindex>{children}</sitemapindex>".encode()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def getter(documents: dict[str, bytes]):
    """A ``get`` backed by a dict, recording the URLs asked for."""
    asked: list[str] = []

    def get(url: str) -> bytes | None:
        asked.append(url)
        return documents.get(url)

    get.asked = asked
    return get


# --- parse_listing ---------------------------------------------------------------------------


def test_rss2_items_give_absolute_links_and_utc_pubdates():
    listing = parse_listing(RSS, "https://example.org/feed.xml")
    assert listing == Listing(
        "feed",
        [
            ("https://example.org/news/plant?utm_source=rss", utc(2024, 3, 5, 8, 30)),
            ("https://example.org/news/results", utc(2024, 1, 1, 12)),
            ("https://example.org/news/undated", None),
        ],
    )


def test_atom_namespaced_entries_use_alternate_link_relative_and_latest_date():
    listing = parse_listing(ATOM, "https://example.org/press/atom.xml")
    assert listing.kind == "feed"
    assert listing.entries == [
        ("https://example.org/press/releases/merger.html", utc(2024, 2, 3, 8)),
        ("https://cdn.example.net/archive/q3.html", utc(2023, 10, 1)),
    ]


def test_rss1_rdf_items_are_read():
    listing = parse_listing(RDF, "https://example.com/index.rdf")
    assert listing == Listing(
        "feed", [("https://example.com/a", utc(2024, 4, 2)), ("https://example.com/b", None)]
    )


def test_sitemap_locs_with_lastmod_in_w3c_formats():
    content = sitemap(
        ("https://example.org/a", "2024-05-01"),
        ("https://example.org/b", "2024-05-02T10:00:00-05:00"),
        ("https://example.org/c", "2024-06"),
        ("/d", None),
        ("https://example.org/e", "not a date"),
    )
    listing = parse_listing(content, "https://example.org/sitemap.xml")
    assert listing == Listing(
        "sitemap",
        [
            ("https://example.org/a", utc(2024, 5, 1)),
            ("https://example.org/b", utc(2024, 5, 2, 15)),
            ("https://example.org/c", utc(2024, 6, 1)),
            ("https://example.org/d", None),
            ("https://example.org/e", None),
        ],
    )


def test_news_sitemap_publication_date_stands_in_for_lastmod():
    content = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://example.org/n</loc><news:news>
        <news:publication_date>2024-07-08T09:00:00Z</news:publication_date>
      </news:news></url></urlset>"""
    listing = parse_listing(content, "https://example.org/news.xml")
    assert listing.entries == [("https://example.org/n", utc(2024, 7, 8, 9))]


def test_sitemap_index_and_gzipped_sitemap_are_detected():
    index = sitemap_index(("https://example.org/s1.xml.gz", "2024-01-01"))
    assert parse_listing(index, "https://example.org/index.xml") == Listing(
        "sitemap-index", [("https://example.org/s1.xml.gz", utc(2024, 1, 1))]
    )
    packed = gzip.compress(sitemap(("https://example.org/z", None)))
    assert parse_listing(packed, "https://example.org/s1.xml.gz") == Listing(
        "sitemap", [("https://example.org/z", None)]
    )


@pytest.mark.parametrize(
    "content",
    [
        b"<rss><channel><item><link>https://example.org/a</link></item>",  # truncated
        b"<urlset><url><loc>https://example.org/a & b</loc></url></urlset>",  # bare &
        b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>page<br></body></html>",
        b"<html><body><a href='https://example.org/a'>a</a></body></html>",  # XHTML-ish, not a feed
        b"",
        b"\x1f\x8bnot really gzip",
        "plain text, not XML at all \u00e9".encode(),
    ],
)
def test_malformed_xml_and_html_are_kind_none(content):
    assert parse_listing(content, "https://example.org/x") == Listing("none", [])


def test_billion_laughs_is_refused_quickly():
    laughs = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    content = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(laughs)}]>'
        "<rss><channel><item><title>&lol9;</title><link>https://example.org/&lol9;</link></item>"
        "<item><link>https://example.org/plain</link></item></channel></rss>"
    ).encode()
    started = time.perf_counter()
    listing = parse_listing(content, "https://example.org/feed.xml")
    assert time.perf_counter() - started < 1
    assert "lollol" not in repr(listing)
    assert listing.kind == "none" or listing.entries == [("https://example.org/plain", None)]


def test_internal_entities_are_not_substituted_into_urls():
    content = b"""<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY host "evil.example">]>
        <urlset><url><loc>https://&host;/a</loc></url>
        <url><loc>https://example.org/plain</loc></url></urlset>"""
    listing = parse_listing(content, "https://example.org/sitemap.xml")
    assert listing == Listing("sitemap", [("https://example.org/plain", None)])


def test_external_entities_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    content = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<urlset><url><loc>https://example.org/&x;</loc></url></urlset>"
    ).encode()
    listing = parse_listing(content, "https://example.org/s.xml")
    assert "TOP-SECRET" not in repr(listing)


# --- normalize_url and wanted ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG:443/News/A?utm_source=x&utm_medium=y", "https://example.org/News/A"),
        ("http://example.org:80/a#section-2", "http://example.org/a"),
        ("http://example.org:8080/a?b=2&a=1&fbclid=Z&gclid=Q", "http://example.org:8080/a?a=1&b=2"),
        ("https://example.org", "https://example.org/"),
        ("  https://example.org/a  ", "https://example.org/a"),
        ("ftp://example.org/a", None),
        ("mailto:press@example.org", None),
        ("https:///nohost", None),
        ("http://example.org:port/", None),
        ("not a url", None),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_include_and_exclude_patterns():
    spec = SourceSpec(
        "page", "https://x.org/", include=(r"/news/", r"/press/"), exclude=(r"\.pdf$",)
    )
    assert wanted("https://x.org/news/a", spec)
    assert wanted("https://x.org/press/b", spec)
    assert not wanted("https://x.org/about", spec)
    assert not wanted("https://x.org/news/report.pdf", spec)
    assert wanted("https://x.org/anything", SourceSpec("page", "https://x.org/"))


def test_spec_rejects_bad_patterns_and_kinds():
    with pytest.raises(ValueError, match="invalid URL pattern"):
        SourceSpec("page", "https://x.org/", include=("(unclosed",))
    with pytest.raises(ValueError, match="unknown source kind"):
        SourceSpec("podcast", "https://x.org/")
    assert SourceSpec("page", "https://x.org/", exclude="a").exclude == ("a",)  # type: ignore[arg-type]


# --- parse_source ----------------------------------------------------------------------------


def test_parse_source_kinds():
    since = date(2024, 1, 1)
    assert parse_source("feed:https://x.org/rss", include=["/news/"], since=since) == [
        SourceSpec("feed", "https://x.org/rss", include=("/news/",), since=since)
    ]
    assert parse_source("sitemap:https://x.org/sitemap.xml") == [
        SourceSpec("sitemap", "https://x.org/sitemap.xml")
    ]
    assert parse_source("https://x.org/page") == [SourceSpec("page", "https://x.org/page")]
    assert parse_source("data/pages") == [SourceSpec("local", "data/pages")]


@pytest.mark.parametrize("text", ["feed:notaurl", "sitemap:/local/file.xml", "feed:", "http://"])
def test_parse_source_rejects_prefix_without_url(text):
    with pytest.raises(ValueError, match="http"):
        parse_source(text)


def test_urls_file_skips_comments_and_blank_lines(tmp_path):
    (tmp_path / "list.txt").write_text(
        "# press pages\n\nhttps://x.org/a\n   \n  https://x.org/b   # second one\n#https://x.org/c\n"
    )
    specs = parse_source(f"urls:{tmp_path / 'list.txt'}", exclude=["zzz"])
    assert specs == [
        SourceSpec("page", "https://x.org/a", exclude=("zzz",)),
        SourceSpec("page", "https://x.org/b", exclude=("zzz",)),
    ]


def test_urls_file_missing_or_with_a_non_url_line(tmp_path):
    with pytest.raises(ValueError, match="cannot read URL file"):
        parse_source(f"urls:{tmp_path / 'missing.txt'}")
    (tmp_path / "bad.txt").write_text("https://x.org/a\nx.org/b\n")
    with pytest.raises(ValueError, match="line 2"):
        parse_source(f"urls:{tmp_path / 'bad.txt'}")


# --- read_sources_file -----------------------------------------------------------------------


def test_sources_file_with_every_item_form(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "pages.txt").write_text("https://x.org/p1\n# c\nhttps://x.org/p2\n")
    (tmp_path / "more.txt").write_text("https://x.org/p3\n")
    config = tmp_path / "sources.yaml"
    config.write_text(
        """
include: /news/
since: 2024-01-01
sources:
  - https://x.org/news/one
  - feed:https://x.org/rss
  - urls:more.txt
  - local/folder
  - url: https://x.org/news/two
    exclude: [draft, preview]
  - feed: https://x.org/atom
    include: [/press/]
    since: '2024-03-01'
  - sitemap: https://x.org/sitemap.xml
  - urls: lists/pages.txt
  - path: pages
    since: 2023-06-30
  - url: https://x.org/news/three
    since: null
"""
    )
    defaults = {"include": ("/news/",), "since": date(2024, 1, 1)}
    assert read_sources_file(config) == [
        SourceSpec("page", "https://x.org/news/one", **defaults),
        SourceSpec("feed", "https://x.org/rss", **defaults),
        SourceSpec("page", "https://x.org/p3", **defaults),
        SourceSpec("local", str(tmp_path / "local" / "folder"), **defaults),
        SourceSpec("page", "https://x.org/news/two", exclude=("draft", "preview"), **defaults),
        SourceSpec("feed", "https://x.org/atom", include=("/press/",), since=date(2024, 3, 1)),
        SourceSpec("sitemap", "https://x.org/sitemap.xml", **defaults),
        SourceSpec("page", "https://x.org/p1", **defaults),
        SourceSpec("page", "https://x.org/p2", **defaults),
        SourceSpec("local", str(tmp_path / "pages"), include=("/news/",), since=date(2023, 6, 30)),
        SourceSpec("page", "https://x.org/news/three", include=("/news/",)),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sources:\n  - https://x.org/a\n  - fed: https://x.org/rss\n", r"item 2: unknown key"),
        ("sources:\n  - feed: https://x.org/rss\n    url: https://x.org/a\n", r"item 1: .*one of"),
        ("sources:\n  - {since: 2024-01-01}\n", r"item 1: .*one of"),
        ("sources:\n  - url: https://x.org/a\n    since: 2024-13-45\n", r"item 1: 'since'"),
        ("sources:\n  - url: https://x.org/a\n    since: last week\n", r"item 1: 'since'"),
        ("sources:\n  - url: https://x.org/a\n  - feed: notaurl\n", r"item 2: 'feed'"),
        ("sources:\n  - feed:notaurl\n", r"item 1: .*http"),
        ("sources:\n  - url: https://x.org/a\n    include: {a: 1}\n", r"item 1: 'include'"),
        ("sources:\n  - url: https://x.org/a\n    exclude: '(x'\n", r"item 1: invalid URL"),
        ("sources:\n  - 42\n", r"item 1: expected a string or a mapping"),
        ("sources:\n  - urls: missing.txt\n", r"item 1: cannot read URL file"),
        ("since: yesterday\nsources: []\n", r"'since'"),
        ("source:\n  - https://x.org/a\n", r"'sources:' list"),
        ("sources: https://x.org/a\n", r"'sources:' list"),
        ("sources: [\n", r"cannot read"),
        ("sources: []\ninclud: x\n", r"unknown top-level"),
    ],
)
def test_sources_file_errors_name_the_file_and_item(tmp_path, body, message):
    config = tmp_path / "bad.yaml"
    config.write_text(body)
    with pytest.raises(ValueError, match=message) as error:
        read_sources_file(config)
    assert str(config) in str(error.value)


# --- expand_sources --------------------------------------------------------------------------


def test_pages_pass_through_normalised_and_deduplicated_without_fetching():
    get = getter({})
    specs = [
        SourceSpec("page", "https://X.org/a?utm_campaign=z#top"),
        SourceSpec("page", "https://x.org:443/a"),
        SourceSpec("page", "https://x.org/b", exclude=("/b$",)),
        SourceSpec("local", "some/folder"),
        SourceSpec("page", "https://x.org/c"),
    ]
    assert expand_sources(specs, get) == (["https://x.org/a", "https://x.org/c"], [])
    assert get.asked == []


def test_feed_items_filtered_by_since_and_patterns():
    get = getter({"https://example.org/feed.xml": RSS})
    spec = SourceSpec("feed", "https://example.org/feed.xml", since=date(2024, 2, 1))
    pages, problems = expand_sources([spec], get)
    assert pages == ["https://example.org/news/plant", "https://example.org/news/undated"]
    assert problems == []
    spec = SourceSpec("feed", "https://example.org/feed.xml", exclude=("undated",))
    assert expand_sources([spec], get)[0] == [
        "https://example.org/news/plant",
        "https://example.org/news/results",
    ]


def test_sitemap_index_recursion_ends_on_loops_and_reports_problems():
    index = "https://x.org/sitemap_index.xml"
    documents = {
        index: sitemap_index(
            (index, None),  # lists itself
            ("https://x.org/s1.xml", "2024-05-01"),
            ("https://x.org/nested.xml", None),
            ("https://x.org/old.xml", "2020-01-01"),  # dated before since: not read
            ("https://x.org/gone.xml", None),
            ("https://x.org/page.html", None),
        ),
        "https://x.org/nested.xml": sitemap_index(
            (index, None), ("https://x.org/s1.xml", None), ("https://x.org/s2.xml", None)
        ),
        "https://x.org/s1.xml": sitemap(
            ("https://x.org/news/1", "2024-05-01"),
            ("https://x.org/news/old", "2023-12-31"),
            ("https://x.org/about", None),
        ),
        "https://x.org/s2.xml": sitemap(
            ("https://x.org/news/2", None), ("https://x.org/news/1", None)
        ),
        "https://x.org/old.xml": sitemap(("https://x.org/news/ancient", None)),
        "https://x.org/page.html": b"<!DOCTYPE html><html><body>hi</body></html>",
    }
    get = getter(documents)
    spec = SourceSpec("sitemap", index, include=("/news/",), since=date(2024, 1, 1))
    pages, problems = expand_sources([spec], get)
    assert pages == ["https://x.org/news/1", "https://x.org/news/2"]
    assert problems == [
        ("https://x.org/gone.xml", "could not be fetched"),
        ("https://x.org/page.html", "not a feed or sitemap"),
    ]
    assert sorted(get.asked) == sorted(set(get.asked))  # every document read once
    assert "https://x.org/old.xml" not in get.asked


def test_listing_budget_bounds_the_documents_read():
    documents = {
        f"https://x.org/s{n}.xml": sitemap_index((f"https://x.org/s{n + 1}.xml", None))
        for n in range(100)
    }
    get = getter(documents)
    pages, problems = expand_sources([SourceSpec("sitemap", "https://x.org/s0.xml")], get, 5)
    assert pages == []
    assert len(get.asked) == 5
    assert problems == [("https://x.org/s5.xml", LISTING_LIMIT)]


def test_every_sitemap_left_unread_by_the_limit_is_a_problem():
    children = [f"https://x.org/s{n}.xml" for n in range(12)]
    documents = {
        "https://x.org/index.xml": sitemap_index(*((child, None) for child in children)),
        **{child: sitemap((child.replace(".xml", "/page"), None)) for child in children},
    }
    get = getter(documents)
    specs = [
        SourceSpec("sitemap", "https://x.org/index.xml"),
        SourceSpec("feed", "https://x.org/feed.xml"),  # after the budget is spent
    ]
    pages, problems = expand_sources(specs, get, max_listings=5)

    assert get.asked == ["https://x.org/index.xml", *children[:4]]
    assert pages == [child.replace(".xml", "/page") for child in children[:4]]
    unread = [*children[4:], "https://x.org/feed.xml"]
    assert problems == [(url, LISTING_LIMIT) for url in unread]  # 8 + 1, not only the next


def test_unfetchable_and_non_listing_feeds_are_problems_and_runs_go_on():
    get = getter({"https://x.org/page": b"<html><body>not a feed</body></html>"})
    specs = [
        SourceSpec("feed", "https://x.org/missing.xml"),
        SourceSpec("feed", "https://x.org/page"),
        SourceSpec("page", "https://x.org/kept"),
    ]
    assert expand_sources(specs, get) == (
        ["https://x.org/kept"],
        [
            ("https://x.org/missing.xml", "could not be fetched"),
            ("https://x.org/page", "not a feed or sitemap"),
        ],
    )


def test_duplicates_across_feed_sitemap_and_pages_collapse_in_first_seen_order():
    get = getter(
        {
            "https://x.org/rss": RSS.replace(b"https://example.org", b"https://x.org"),
            "https://x.org/sitemap.xml": sitemap(
                ("https://X.ORG/news/results#comments", None), ("https://x.org/news/new", None)
            ),
        }
    )
    specs = [
        SourceSpec("page", "https://x.org/news/undated?fbclid=abc"),
        SourceSpec("feed", "https://x.org/rss"),
        SourceSpec("sitemap", "https://x.org/sitemap.xml"),
    ]
    pages, problems = expand_sources(specs, get)
    assert problems == []
    assert pages == [
        "https://x.org/news/undated",
        "https://x.org/news/plant",
        "https://x.org/news/results",
        "https://x.org/news/new",
    ]
