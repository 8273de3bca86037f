"""One parse per page: metadata and body equal trafilatura's own, the lead read on the tree."""

import hashlib

import pytest
import trafilatura
from lxml.html import tostring
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html
from trafilatura.xpaths import AUTHOR_XPATHS

from pressroom.extractors import extract_html
from pressroom.extractors.html import _DATE_SEARCH, _may_name_author, _metadata, _visible_text
from tests.pages import PARAGRAPHS, article_html

META_TAGS = """<meta property="og:title" content="Ministry welcomes joint statement">
<meta property="og:site_name" content="ministry.example.org">
<meta name="author" content="Anna Berg">
<meta name="description" content="The ministry welcomed a joint statement on cyber norms.">
<meta property="article:published_time" content="2023-05-04T10:00:00Z">
<link rel="canonical" href="https://ministry.example.org/news/joint-statement">"""

JSON_LD = """<script type="application/ld+json">{"@context": "https://schema.org",
"@type": "NewsArticle", "headline": "Grid operators sign a security pact",
"datePublished": "2022-11-30", "author": {"@type": "Person", "name": "Jonas Weber"},
"publisher": {"@type": "Organization", "name": "Energy Office"}}</script>"""

BYLINE = '<p class="byline">By Maria Lopez</p>'
TIME = '<time datetime="2021-03-15">15 March 2021</time>'

PAGES = {
    "meta tags": article_html("Joint statement", PARAGRAPHS, extra_head=META_TAGS),
    "JSON-LD": article_html("Security pact", PARAGRAPHS, extra_head=JSON_LD),
    "body only": article_html("Clinics", [BYLINE + TIME, *PARAGRAPHS]).replace(
        "| Example Ministry", "| health.example.org"
    ),
    "twitter site, relative canonical": article_html(
        "Bridge repairs",
        PARAGRAPHS,
        extra_head='<meta name="twitter:site" content="@transportdept">'
        '<meta property="og:image" content="https://transport.example.org/bridge.jpg">'
        '<link rel="canonical" href="/news/bridge-repairs">',
    ),
    "no metadata": "<html><body><div><p>" + "</p><p>".join(PARAGRAPHS) + "</p></div></body></html>",
}
FIELDS = ("title", "date", "author", "url", "hostname", "sitename", "description")


@pytest.mark.parametrize("url", [None, "https://example.org/press/1"])
@pytest.mark.parametrize("name", PAGES)
def test_metadata_equal_trafilaturas_for_the_fields_pressroom_uses(name, url):
    expected = extract_metadata(PAGES[name], url, dict(_DATE_SEARCH))
    ours = _metadata(load_html(PAGES[name]), url)
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(expected, f) for f in FIELDS}


def test_the_fixtures_exercise_the_metadata_sources():
    meta = {name: _metadata(load_html(html), None) for name, html in PAGES.items()}
    assert meta["meta tags"].author == "Anna Berg"
    assert meta["meta tags"].date == "2023-05-04"
    assert meta["JSON-LD"].author == "Jonas Weber"
    assert meta["body only"].author == "Maria Lopez"
    assert meta["body only"].sitename == "health.example.org"
    assert meta["twitter site, relative canonical"].sitename == "Transportdept"
    assert meta["twitter site, relative canonical"].url == (
        "https://transport.example.org/news/bridge-repairs"
    )


@pytest.mark.parametrize("name", PAGES)
def test_metadata_leave_the_tree_as_parsed(name):
    tree = load_html(PAGES[name])
    before = tostring(tree)
    _metadata(tree, None)
    assert tostring(tree) == before


@pytest.mark.parametrize("name", PAGES)
def test_body_and_metadata_equal_trafilaturas_with_metadata(name):
    expected = trafilatura.bare_extraction(
        PAGES[name],
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params=_DATE_SEARCH,
    )
    extraction = extract_html(PAGES[name])
    assert extraction.extractor == "trafilatura"
    assert extraction.text == expected.text
    assert extraction.title == expected.title
    assert extraction.author == expected.author
    assert extraction.site == (expected.sitename or expected.hostname)


LEAD = "The ministry will fund forty new rural clinics over the next three years, it said."


def test_a_lead_only_in_a_script_of_the_body_is_not_shown():
    head = f'<meta name="description" content="{LEAD}">'
    html = article_html("Clinics", PARAGRAPHS, extra_head=head)
    html = html.replace("<main>", f'<script>var lead = "{LEAD}";</script><main>')
    assert LEAD not in extract_html(html).text


def test_visible_text_of_the_parsed_tree_leaves_out_scripts_and_the_title():
    html = article_html("Clinics", ["Shown <script>hidden()</script>text."])
    visible = _visible_text(load_html(html))
    assert visible.endswith(
        "Clinics Shown text. Copyright 2024 Example Ministry. All rights reserved."
    )
    assert "hidden" not in visible


AUTHOR_XPATHS_SHA256 = "e7cdb233823cbb0a7eadad1211ccea04ebd7789ae4ffc076b2fc765f00286c9f"


def test_the_author_prefilter_was_derived_from_these_author_xpaths():
    """``_may_name_author`` must select a superset of trafilatura's author XPaths."""
    paths = "\n".join(expression.path for expression in AUTHOR_XPATHS)
    assert hashlib.sha256(paths.encode()).hexdigest() == AUTHOR_XPATHS_SHA256, (
        "trafilatura's AUTHOR_XPATHS changed: re-derive _AUTHOR_* in extractors/html.py"
    )


@pytest.mark.parametrize(
    "marker",
    [
        '<a rel="author">',
        '<span id="author">',
        '<div class="author">',
        '<span itemprop="author name">',
        '<div data-testid="AuthorCard">',
        '<span class="post-authorName">',
        "<author>",
        '<p class="byline">',
        '<div class="username">',
        '<span class="byl">',
        '<span class="BBL">',
        '<div itemprop="authors">',
        '<p id="zuozhe">',
        '<h4 class="channel-name">',
        '<span class="submitted-by">',
        '<span class="journalist-name">',
        '<section data-component="ArticleByline">',
        '<section id="Author-box">',
        '<section class="screenname">',
        '<section class="writer">',
        '<section class="Byline">',
    ],
)
def test_every_kind_of_author_candidate_passes_the_prefilter(marker):
    tag = marker[1:].split(">")[0].split()[0]
    html = article_html("Clinics", [f"{marker}Maria Lopez</{tag}>", *PARAGRAPHS])
    tree = load_html(html)
    assert any(expression(tree) for expression in AUTHOR_XPATHS)
    assert _may_name_author(tree)


def test_a_page_without_author_candidates_has_no_author():
    tree = load_html(PAGES["no metadata"])
    assert not _may_name_author(tree)
    assert _metadata(tree, None).author is None is extract_metadata(PAGES["no metadata"]).author
