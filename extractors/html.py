"""Article body and metadata from HTML: trafilatura first, a BeautifulSoup fallback second."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from pressroom.extractors.patterns import is_boilerplate, is_html_furniture, is_related_heading
from pressroom.schemas import Extraction
from pressroom.schemas.records import StageError

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from trafilatura.settings import Document as TrafilaturaDocument

_DROP_TAGS = (
    "head",
    "title",
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "select",
)
_BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "td", "dd")
_MIN_LEAD_WORDS = 8
"""A meta description this long that the page shows is its lead (standfirst)."""
_MAX_LINK_TITLE = 120
"""Lines under a "Related articles" heading at most this long (and not a sentence) are links."""
_DATE_SEARCH = {"extensive_search": False, "original_date": True}
"""htmldate without its extensive search, which guesses dates from free text such as a
copyright year ("© 2024" became 2024-01-01) and costs a third of metadata extraction."""
_PROBE_WORDS = 4
_AUTHOR_CLASS = re.compile(
    "uthor|yline|byl|BBL|username|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by"
    "|journalist-name|screenname|writer"
)
_AUTHOR_ATTRIBUTES = ("id", "rel", "itemprop", "data-testid", "data-component")
_AUTHOR_ATTRIBUTE = re.compile("uthor|yline|zuozhe|bianji|xiaobian")
"""Every element trafilatura 2.3.1's ``AUTHOR_XPATHS`` select is an ``author`` or has a ``rel``
child, or has a class matching ``_AUTHOR_CLASS`` or one of ``_AUTHOR_ATTRIBUTES`` matching
``_AUTHOR_ATTRIBUTE``: a page without such an element has no author in its body."""
_INVISIBLE_TAGS = ("script", "style", "noscript", "template")


def extract_html(
    html: str, url: str | None = None, *, favor_precision: bool = False, favor_recall: bool = False
) -> Extraction:
    """Extract one page; the result's text is empty when neither extractor finds an article.

    The page is parsed once: the metadata, trafilatura's body pass (on its own copy of the tree)
    and the lead check all read the same tree.
    """
    import trafilatura
    from trafilatura.utils import load_html

    try:
        tree = load_html(html)
        if tree is None:
            return extract_html_fallback(html, url)
        meta = _metadata(tree, url)
        result = trafilatura.bare_extraction(
            tree,
            url=url,
            include_comments=False,
            include_tables=True,
            favor_precision=favor_precision,
            favor_recall=favor_recall,
        )
    except (TypeError, ValueError):  # as in bare_extraction: trafilatura gives the page up
        return extract_html_fallback(html, url)
    except RecursionError as error:
        raise StageError("extract", "markup nested too deeply to parse", "unparseable") from error
    if result is not None and (result.text or "").strip():
        return Extraction(
            text=_drop_furniture(_with_lead(result.text, meta.description, html, tree)),
            extractor="trafilatura",
            title=meta.title,
            published_at=_parse_date(meta.date),
            author=meta.author,
            site=meta.sitename or meta.hostname,
            url=meta.url or url,
        )
    return extract_html_fallback(html, url)


def _metadata(tree: HtmlElement, url: str | None) -> TrafilaturaDocument:
    """The fields of trafilatura's ``extract_metadata`` that pressroom uses, computed the same way.

    Categories, tags and the license are left out: pressroom has no use for them, and they were
    30% of the metadata pass's CPU on the dev corpus.
    """
    from courlan import extract_domain
    from htmldate import find_date
    from trafilatura import metadata as tm

    meta = tm.examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = tm.extract_meta_json(tree, meta)
    except Exception as error:  # as extract_metadata: bugs in trafilatura's JSON-LD reader
        tm.LOGGER.warning("error in JSON metadata extraction: %s", error)
    meta.title = meta.title or tm.extract_title(tree)
    if not meta.author and _may_name_author(tree):
        meta.author = tm.extract_author(tree)
    meta.url = meta.url or tm.extract_url(tree, url)
    if meta.url:
        meta.hostname = extract_domain(meta.url, fast=True)
    meta.date = find_date(tree, **_DATE_SEARCH, url=meta.url)
    meta.sitename = meta.sitename or tm.extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")  # a Twitter handle
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (match := tm.META_URL.match(meta.url)):
        meta.sitename = match[1]
    meta.clean_and_trim()
    return meta


def _may_name_author(tree: HtmlElement) -> bool:
    """Whether the page has an element trafilatura's author search could pick.

    One walk of the tree, a seventh of the cost of that search, which 43% of the dev-corpus pages
    without an author in their metadata are spared.
    """
    from lxml.etree import Element

    for element in tree.iter(Element):
        if element.tag in ("author", "rel"):
            return True
        if not element.attrib:
            continue
        if _AUTHOR_CLASS.search(element.get("class", "")):
            return True
        if any(_AUTHOR_ATTRIBUTE.search(element.get(name, "")) for name in _AUTHOR_ATTRIBUTES):
            return True
    return False


def extract_html_fallback(html: str, url: str | None = None) -> Extraction:
    """A plain BeautifulSoup extractor: the text blocks of ``<article>``, ``<main>`` or body."""
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(html, "lxml")
        title = _meta(soup, "og:title") or (
            soup.title.get_text(" ", strip=True) if soup.title else None
        )
        for tag in soup(_DROP_TAGS):
            tag.decompose()
        root = soup.find("article") or soup.find("main") or soup.body or soup
        blocks = [
            el.get_text(" ", strip=True)
            for el in root.find_all(_BLOCK_TAGS)
            if not el.find(_BLOCK_TAGS)
        ]
        if not any(blocks):
            blocks = [line.strip() for line in root.get_text("\n").splitlines()]
    except RecursionError as error:
        raise StageError("extract", "markup nested too deeply to parse", "unparseable") from error
    canonical = soup.find("link", rel="canonical")
    html_tag = soup.find("html")
    return Extraction(
        text=_drop_furniture("\n".join(b for b in blocks if b)),
        extractor="beautifulsoup",
        title=title or None,
        published_at=_parse_date(_meta(soup, "article:published_time")),
        author=_meta(soup, "author"),
        site=_meta(soup, "og:site_name"),
        url=(canonical.get("href") if canonical else None) or url,
        language=(html_tag.get("lang") if html_tag else None) or None,
    )


def _with_lead(text: str, description: str | None, html: str, tree: HtmlElement) -> str:
    """The text, led by the page's description when the page shows it and the text lacks it.

    ``tree`` is the parsed ``html``; the check may strip elements from it.
    """
    lead = " ".join((description or "").split())
    if len(lead.split()) < _MIN_LEAD_WORDS or lead in " ".join(text.split()):
        return text
    return f"{lead}\n{text}" if _shown_in_body(lead, html, tree) else text


def _shown_in_body(lead: str, html: str, tree: HtmlElement) -> bool:
    """Whether the page's body shows ``lead``: a cheap search of the HTML first, then the tree."""
    probe = r"\s+".join(re.escape(word) for word in lead.split()[:_PROBE_WORDS])
    body_at = max(html.find("<body"), html.find("<BODY"), 0)
    return re.search(probe, html[body_at:]) is not None and lead in _visible_text(tree)


def _visible_text(tree: HtmlElement) -> str:
    """The text of the page's body outside scripts and styles, whitespace collapsed.

    The scripts and styles are stripped from ``tree`` in place.
    """
    from lxml import etree

    root = tree.find("body")
    if root is None:
        root = tree
    # the invisible elements go (their tails stay), then libxml2 joins the rest: twice as fast
    # as collecting the text nodes without an invisible ancestor one by one
    etree.strip_elements(root, *_INVISIBLE_TAGS, with_tail=False)
    return " ".join(etree.tostring(root, method="text", encoding=str, with_tail=False).split())


def _drop_furniture(text: str) -> str:
    """The text without furniture lines, nor the link lists under "Related articles" headings."""
    kept = []
    in_links = False
    for line in text.splitlines():
        if is_related_heading(line):
            in_links = True
        elif in_links and len(line.strip()) <= _MAX_LINK_TITLE and not line.strip().endswith("."):
            continue
        else:
            in_links = False
            if not (is_boilerplate(line) or is_html_furniture(line)):
                kept.append(line)
    return "\n".join(kept)


def _meta(soup, name: str) -> str | None:
    tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
    content = tag.get("content") if tag else None
    return content.strip() if content and content.strip() else None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None
