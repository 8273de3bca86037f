"""Variant pages of a corpus article (``VARIANT_KINDS``) and release series sharing a block."""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec)
import lxml.html
from lxml import etree

from benchmarks.near_duplicates.corpus import Source
from benchmarks.near_duplicates.templates import TEMPLATES, SiteTemplate
from pressroom.dedup.shingles import hashing_view, shingles
from pressroom.schemas import RawDocument
from pressroom.sources.encoding import decode

VARIANT_KINDS = (
    "template",  # the article in a synthetic site template (another site's furniture)
    "real_template",  # the article placed into another corpus page's real template
    "paragraph_added",  # one paragraph from another article inserted
    "paragraph_removed",  # one paragraph dropped
    "truncated",  # cut at the paragraph boundary nearest TRUNCATE_SHARE of the words
    "cp1252",  # the original page saved as windows-1252 bytes, charset declared
    "latin1_undeclared",  # saved as ISO-8859-1 bytes, charset declaration removed
    "mojibake",  # the page's UTF-8 read as windows-1252 and saved again as UTF-8
)
ISSUER_KIND = "shared_boilerplate"
"""A short article of an issuer's release series: its body plus the issuer's "about us" and
contact block, which every release of the series repeats (pages of one series are hard
negatives of each other, and each is a true duplicate of its article)."""
SYNTHETIC_KINDS = ("template", "paragraph_added", "paragraph_removed", "truncated")
"""Kinds rendered into a synthetic template; each goes to a different template per source."""

MIN_PARAGRAPHS = 5
MIN_WORDS = 150
"""Sources must be article-sized: a press release rarely has fewer than 150 words."""
ISSUER_WORDS = (MIN_WORDS, 400)
"""Length of the articles of a release series: short releases are where a repeated block
weighs most."""
ISSUER_BLOCK_WORDS = (60, 150)
"""Length of the block repeated in every release of a series."""
ISSUER_DONOR_WORDS = 800
"""The block comes from an article at least this long, so that no release of the series is a
near-duplicate of the article the block was taken from."""
TRUNCATE_SHARE = 0.75
"""Truncated copies keep about the first 75% of the words: syndicated and feed copies usually
lose the closing paragraphs (boilerplate "about us", contacts, a last quote)."""


@dataclass(frozen=True)
class Label:
    """What the benchmark knows about one document of the labelled set."""

    group: str
    """The source article (corpus file name) the document is a version of."""
    kind: str
    """``"original"`` or one of ``VARIANT_KINDS``."""
    site: str
    """The site or template the page was rendered in (for the hard-negative breakdown)."""
    issuer: str = ""
    """For ``shared_boilerplate`` pages: the made-up issuer whose releases share one block."""


@dataclass(frozen=True)
class Variant:
    """A variant page to extract, with its label."""

    raw: RawDocument
    label: Label


def add_paragraph(body: list[str], extra: str, rng: random.Random) -> list[str]:
    """``body`` with ``extra`` inserted at a random position after the first paragraph."""
    position = rng.randrange(1, len(body) + 1)
    return [*body[:position], extra, *body[position:]]


def remove_paragraph(body: list[str], rng: random.Random) -> list[str]:
    position = rng.randrange(len(body))
    return body[:position] + body[position + 1 :]


def truncate(body: list[str], share: float = TRUNCATE_SHARE) -> list[str]:
    """The paragraph prefix whose word count is nearest ``share`` of the whole (at least one
    paragraph dropped, at least one kept)."""
    words = [len(p.split()) for p in body]
    total, running, best, best_gap = sum(words), 0, 1, math.inf
    for kept in range(1, len(body)):
        running += words[kept - 1]
        gap = abs(running / total - share)
        if gap < best_gap:
            best, best_gap = kept, gap
    return body[:best]


_CHARSET_META = re.compile(r"<meta[^>]*charset\s*=[^>]*>", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"<\?xml[^>]*\?>", re.IGNORECASE)
_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)


def reencode(page: str, encoding: str, declare: bool) -> bytes:
    """The page saved in a legacy single-byte ``encoding``: characters it lacks become numeric
    character references (what browsers and CMSs do); the charset is declared or removed."""
    page = _XML_DECLARATION.sub("", _CHARSET_META.sub("", page))
    if declare:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
        head = _HEAD.search(page)
        page = page[: head.end()] + meta + page[head.end() :] if head else meta + page
    return page.encode(encoding, errors="xmlcharrefreplace")


def mojibake(page: str) -> bytes:
    """UTF-8 bytes read as windows-1252 and saved again as UTF-8 ("Ã©" for "é")."""
    return page.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")


_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def _key(text: str) -> str:
    """Text as the dedup compares it (hashing view), invisible characters removed first."""
    return " ".join(hashing_view(_INVISIBLE.sub("", text)).split())


def transplant(host_page: str, host_text: str, title: str, body: Sequence[str]) -> str | None:
    """``body`` placed into a real page's template, in place of that page's own article.

    The outermost elements whose text (4 words or more) lies inside the host's extracted article
    are removed; the new paragraphs go where the first one was, and the title and first heading
    get ``title``. None when more than 20% of the host article's shingles are left in the page.
    """
    try:
        tree = lxml.html.document_fromstring(_XML_DECLARATION.sub("", host_page))
    except (ValueError, etree.ParserError):
        return None
    article, body_element = _key(host_text), tree.find("body")
    if body_element is None:
        return None
    inside = set()
    for element in body_element.iterdescendants():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "template"):
            continue
        if any(a in inside for a in element.iterancestors()):
            continue
        text = element.text_content()
        if len(text) > 2 * len(host_text) + 1000:
            continue  # too long to lie inside the article
        key = _key(text)
        if len(key.split()) >= 4 and key in article:
            inside.add(element)
    blocks = [el for el in body_element.iterdescendants() if el in inside]
    if not blocks:
        return None
    parent, index = _article_position(blocks)
    for element in blocks:
        element.drop_tree()
    for offset, text in enumerate(body):
        paragraph = lxml.html.Element("p")
        paragraph.text = text
        parent.insert(index + offset, paragraph)
    for element in (tree.find(".//title"), tree.find(".//h1")):
        if element is not None:
            tail = element.tail
            element.clear()
            element.text, element.tail = title, tail
    if _left_over(host_text, body_element) > 0.2:
        return None
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


def _article_position(blocks: Sequence) -> tuple:
    """Where the host's article was: the parent holding most of the removed text, and the
    index of its first removed child."""
    text_by_parent: Counter = Counter()
    for element in blocks:
        text_by_parent[element.getparent()] += len(element.text_content())
    parent = max(text_by_parent, key=text_by_parent.get)
    first = next(el for el in blocks if el.getparent() is parent)
    return parent, parent.index(first)


def _left_over(host_text: str, body: etree._Element) -> float:
    """Share of the host article's 3-word shingles still found in the page body's text."""
    host = shingles(host_text, 3)
    texts = body.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    page = shingles(" ".join(texts), 3)
    return len(host & page) / len(host) if host else 1.0


class VariantBuilder:
    """Makes the variant pages of each source, deterministically from one random generator."""

    def __init__(self, pool: Mapping[str, Source], seed: int) -> None:
        self.pool = pool
        self.rng = random.Random(seed)
        self.headlines = sorted({s.doc.title for s in pool.values() if s.doc.title})
        self.hosts = sorted(pool)
        self.rng.shuffle(self.hosts)
        self.counter = 0

    def variants(self, source: Source) -> list[Variant]:
        """All ``VARIANT_KINDS`` of one source (``real_template`` may be missing)."""
        bodies = {
            "template": source.body,
            "paragraph_added": add_paragraph(source.body, self.extra_paragraph(source), self.rng),
            "paragraph_removed": remove_paragraph(source.body, self.rng),
            "truncated": truncate(source.body),
        }
        first = self.rng.randrange(len(TEMPLATES))
        result = []
        for offset, kind in enumerate(SYNTHETIC_KINDS):
            template = TEMPLATES[(first + offset) % len(TEMPLATES)]
            result.append(self.render(source, kind, template, bodies[kind]))
        real = self.real_template(source)
        if real:
            result.append(real)
        page, _encoding = decode(source.raw.content, source.raw.declared_charset)
        for kind, content in (
            ("cp1252", reencode(page, "windows-1252", declare=True)),
            ("latin1_undeclared", reencode(page, "latin-1", declare=False)),
            ("mojibake", mojibake(page)),
        ):
            result.append(self.variant(source, kind, content, source.raw.url, source.site))
        return result

    def variant(
        self, source: Source, kind: str, content: bytes, url: str | None, site: str
    ) -> Variant:
        uri = f"benchmark://{kind}/{source.name}"
        raw = RawDocument(source_uri=uri, content=content, media_type="html", raw_path=uri, url=url)
        return Variant(raw, Label(source.name, kind, site))

    def render(self, source: Source, kind: str, template: SiteTemplate, body: list[str]) -> Variant:
        self.counter += 1
        page, url = template.render(source.title, body, self.counter, self.rng, self.headlines)
        return self.variant(source, kind, page.encode("utf-8"), url, template.host)

    def issuer_series(self, count: int, size: int) -> list[Variant]:
        """``count`` issuers, each with ``size`` different short articles (one language) that
        end with the same block -- real consecutive paragraphs of a long article -- in one
        synthetic template."""
        by_language: dict[str, list[str]] = defaultdict(list)
        for name in sorted(self.pool):
            source = self.pool[name]
            words = len(source.doc.text.split())
            if ISSUER_WORDS[0] <= words <= ISSUER_WORDS[1] and len(source.body) >= 3:
                by_language[source.doc.language or "?"].append(name)
        for names in by_language.values():
            self.rng.shuffle(names)
        result = []
        for number in range(count):
            languages = sorted(lang for lang, names in by_language.items() if len(names) >= size)
            if not languages:
                break
            weights = [len(by_language[lang]) for lang in languages]
            names = by_language[self.rng.choices(languages, weights)[0]]
            members = names[:size]
            del names[:size]
            block = self.repeated_block(self.donor(members))
            template = self.rng.choice(TEMPLATES)
            for name in members:
                variant = self.render(
                    self.pool[name], ISSUER_KIND, template, self.pool[name].body + block
                )
                label = replace(variant.label, issuer=f"issuer-{number}")
                result.append(replace(variant, label=label))
        return result

    def donor(self, members: Sequence[str]) -> Source:
        """A long article in the language of ``members`` (any long one if there is none)."""
        language = self.pool[members[0]].doc.language
        long = [
            name
            for name in sorted(self.pool)
            if len(self.pool[name].doc.text.split()) >= ISSUER_DONOR_WORDS
        ]
        same = [name for name in long if self.pool[name].doc.language == language]
        return self.pool[self.rng.choice(same or long)]

    def repeated_block(self, donor: Source) -> list[str]:
        """Consecutive paragraphs of ``donor`` with 60-150 words (the last one cut if needed)."""
        body = donor.body
        start = self.rng.randrange(len(body))
        block, words = [], 0
        for paragraph in body[start:] + body[:start]:
            kept = paragraph.split()[: ISSUER_BLOCK_WORDS[1] - words]
            block.append(" ".join(kept))
            words += len(kept)
            if words >= ISSUER_BLOCK_WORDS[0]:
                break
        return block

    def extra_paragraph(self, source: Source) -> str:
        """A 20-80 word paragraph of another article, like an added update or quote."""
        while True:
            other = self.pool[self.rng.choice(self.hosts)]
            candidates = [p for p in other.body if 20 <= len(p.split()) <= 80]
            if other.name != source.name and candidates:
                return self.rng.choice(candidates)

    def real_template(self, source: Source) -> Variant | None:
        """The article in the first of 20 random other corpus pages that accepts it."""
        for _ in range(20):
            host = self.pool[self.rng.choice(self.hosts)]
            if host.name == source.name:
                continue
            page, _encoding = decode(host.raw.content, host.raw.declared_charset)
            moved = transplant(page, host.doc.text, source.title, source.body)
            if moved:
                return self.variant(
                    source, "real_template", moved.encode("utf-8"), host.raw.url, host.site
                )
        return None
