"""Near-duplicate benchmark: pairwise precision and recall of pressroom's deduplication.

Run from the repository root (about 8 minutes on two cores; docs/defaults.md quotes its output)::

    .venv/bin/python benchmarks/near_duplicates.py
    .venv/bin/python benchmarks/near_duplicates.py --seeds 1 --no-sweep   # the defaults only

The labelled set is built at run time from the dev corpus (``../shared/dev-corpus/extraction``
next to the repository; nothing from it is stored here), once per seed of ``--seeds``, each
deterministic; the results of all seeds are pooled:

1. Every corpus page is read and extracted with the production code (``sources.read_file`` and
   ``process_document``). Pages that largely copy another corpus page (e.g. an archive.org
   capture of the same article) are kept once, so the corpus itself holds no unlabelled pairs.
2. ``--sources`` articles (at least 5 paragraphs and 150 words) get variants (``VARIANT_KINDS``),
   each made into HTML bytes and run through ``process_document`` again, so that differences in
   decoding and extraction count, not only edits of the text.
3. ``--issuers`` release series: short articles of one language given the same "about us" block
   in the same template (``ISSUER_KIND``), the classic false positive of press-release dedup.
4. A source article and its variants form a group; every other corpus page is a group of one
   (a distractor). True pairs: every pair inside a group. Predicted pairs: every pair of
   documents sharing a ``cluster_id`` after ``dedup.deduplicate``.
5. As in ``flows/ingest.py``, repeated inputs are dropped, recurring site boilerplate is
   removed and the texts are repaired (mojibake, Unicode, spun wording) before deduplication.

Hard negatives: release series, real pages of one site, articles placed into the same real or
synthetic template, and articles on similar subjects (TF-IDF cosine of their words); false
positives are broken down by these categories. Then: whether shuffling the input changes any
dedup field, a sweep of threshold x shingle size x permutations (signatures cached, the rest is
the production ``deduplicate``), and LSH banding against an exhaustive comparison.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import multiprocessing
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec)
import lxml.html
import numpy as np
from lxml import etree
from pressroom.schemas import Document, RawDocument, StageError
from scipy import sparse

from pressroom.dedup import clusters as dedup_clusters
from pressroom.dedup import deduplicate
from pressroom.dedup import lsh as dedup_lsh
from pressroom.dedup.minhash import signature_matrix
from pressroom.dedup.shingles import hashing_view, shingles
from pressroom.pipeline import drop_repeated, remove_site_boilerplate, repair_documents
from pressroom.process import process_document, warm_up
from pressroom.settings import DedupSettings, ReadSettings
from pressroom.sources import read_file
from pressroom.sources.encoding import decode

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "dev-corpus" / "extraction"

TARGET_PRECISION = 0.99
TARGET_RECALL = 0.95

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
COPY_CONTAINMENT = 0.5
"""Corpus pages sharing this share of the smaller page's 3-word shingles are copies."""
SIMILAR_SUBJECT = 0.15
"""TF-IDF cosine (stopwords dropped per language) from which two articles count as being on a
similar subject: at 0.15 and above the corpus pairs share a topic (car loans, heat pumps,
Python packaging, one arrest reported by two outlets); below, mostly not."""
ORDER_SHUFFLES = 3


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Scores:
    """Pair counts of one clustering against the labels, and the scores they give."""

    true_positives: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def margin(self) -> float:
        """Share of the tighter error budget left: 1 = no errors, 0 = exactly on a target."""
        precision_left = 1 - (1 - self.precision) / (1 - TARGET_PRECISION)
        recall_left = 1 - (1 - self.recall) / (1 - TARGET_RECALL)
        return min(precision_left, recall_left)

    def __add__(self, other: Scores) -> Scores:
        return Scores(
            self.true_positives + other.true_positives,
            self.predicted_pairs + other.predicted_pairs,
            self.true_pairs + other.true_pairs,
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class SweepRow:
    """The scores of one setting on one seed's labelled set (seed None: pooled over seeds)."""

    seed: int | None
    shingle_size: int
    num_perm: int
    threshold: float
    scores: Scores


# --------------------------------------------------------------------------------------------
# Reading and extracting the corpus
# --------------------------------------------------------------------------------------------


def read_corpus(corpus: Path) -> list[RawDocument]:
    """Every page of the corpus, read as the pipeline reads local files, sorted by file name."""
    raws = []
    for path in sorted((corpus / "html").glob("*.html.gz")):
        raws.extend(
            item
            for item in read_file(path, ReadSettings().max_bytes)
            if isinstance(item, RawDocument)
        )
    return raws


def annotated_hosts(corpus: Path) -> dict[str, str]:
    """Corpus file name -> host of its URL in ``annotations.json`` (archive.org unwrapped)."""
    annotations = json.loads((corpus / "annotations.json").read_text(encoding="utf-8"))
    hosts = {}
    for url, entry in annotations.items():
        host = page_host(url)
        if host:
            hosts[entry["file"] + ".gz"] = host
    return hosts


def page_host(url: str | None) -> str | None:
    """The host of a page URL without ``www.``; for web.archive.org captures, the archived host."""
    if not url:
        return None
    archived = re.match(r"https?://web\.archive\.org/web/[^/]+/(.+)", url)
    if archived:
        url = archived.group(1)
        url = url if "://" in url else "http://" + url
    host = urlsplit(url).hostname if "://" in url else None
    return host.removeprefix("www.") if host else None


def _extract(raw: RawDocument) -> Document | str:
    """Worker: the extracted document, or the reason it failed."""
    try:
        return process_document(raw)
    except StageError as error:
        return str(error)
    except Exception as error:  # a library failure on one page must not stop the benchmark
        return f"{type(error).__name__}: {error}"


def extract_all(raws: Sequence[RawDocument], jobs: int) -> list[Document | str]:
    """``process_document`` on every page, in parallel, results in input order."""
    with multiprocessing.Pool(jobs, initializer=warm_up) as pool:
        return pool.map(_extract, raws, chunksize=4)


def file_name(raw: RawDocument) -> str:
    return Path(raw.raw_path).name


def paragraphs(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def find_corpus_copies(texts: Mapping[str, str]) -> list[tuple[str, str, float, float]]:
    """Pairs of pages ``(a, b, jaccard, containment)`` that largely copy each other.

    Exact 3-word shingle sets; candidates come from an inverted index of the shingles that
    occur in at most 50 pages (common phrases cannot make two pages copies).
    """
    sets = {name: shingles(texts[name], 3) for name in sorted(texts)}
    postings: dict[bytes, list[str]] = defaultdict(list)
    for name, items in sets.items():
        for item in items:
            postings[item].append(name)
    shared: Counter[tuple[str, str]] = Counter()
    for names in postings.values():
        if 1 < len(names) <= 50:
            shared.update(combinations(names, 2))
    copies = []
    for (a, b), count in shared.items():
        smaller = min(len(sets[a]), len(sets[b]))
        if count < COPY_CONTAINMENT * smaller / 2:
            continue
        common = len(sets[a] & sets[b])
        if common >= COPY_CONTAINMENT * smaller:
            copies.append((a, b, common / len(sets[a] | sets[b]), common / smaller))
    return sorted(copies)


# --------------------------------------------------------------------------------------------
# Synthetic site templates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteTemplate:
    """Another site's page furniture around an article: nav, header, sidebar, footer, related."""

    host: str
    page: str
    """``str.format`` text with title, url, date, author, body, related, popular, breaking."""
    paragraph: str = "<p>{}</p>"
    ad_after: int | None = None
    """Insert an ad slot after this many paragraphs."""

    def render(
        self,
        title: str,
        body: Sequence[str],
        number: int,
        rng: random.Random,
        headlines: Sequence[str],
    ) -> tuple[str, str]:
        """The page's HTML and its URL."""
        url = f"https://{self.host}/news/{number:05d}"
        parts = [self.paragraph.format(html.escape(p)) for p in body]
        if self.ad_after is not None and len(parts) > self.ad_after:
            parts.insert(self.ad_after, '<div class="publicidad">Publicidad</div>')
        picked = rng.sample(list(headlines), 9)
        page = self.page.format(
            title=html.escape(title),
            url=url,
            date=(date(2022, 1, 1) + timedelta(days=rng.randrange(730))).isoformat(),
            author=rng.choice(AUTHORS),
            body="\n".join(parts),
            related="".join(
                f'<li><a href="/n/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(picked[:4])
            ),
            popular="".join(
                f'<li><a href="/p/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(picked[4:8])
            ),
            breaking=html.escape(picked[8]),
        )
        return page, url


AUTHORS = (
    "Anna Berger",
    "Luis Ortega",
    "Claire Martin",
    "James O'Neill",
    "Redaktion",
    "Marta Kowalska",
    "Peter Lang",
    "Sofía Ramírez",
)

NEWSWIRE = SiteTemplate(
    "newsroom.globewire.example",
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | GlobeWire Newsroom</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="{url}">
<script>window.dataLayer = window.dataLayer || [];</script>
</head><body>
<a class="skip" href="#main">Skip to main content</a>
<header class="site-header"><div class="brand"><a href="/">GlobeWire Newsroom</a></div>
<nav class="main-nav"><ul><li><a href="/news">News</a></li><li><a href="/business">Business</a></li>
<li><a href="/technology">Technology</a></li><li><a href="/health">Health</a></li>
<li><a href="/events">Events</a></li><li><a href="/submit">Submit a release</a></li></ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search press releases">
<button>Search</button></form></header>
<div class="cookie-notice"><p>We use cookies to personalise content and to analyse our traffic.
By continuing to use this site you agree to our use of cookies.</p><button>Accept all</button></div>
<main id="main"><article class="release">
<h1>{title}</h1>
<p class="meta">Published {date} by {author} · 4 min read</p>
<div class="release-body">
{body}
</div>
<div class="share">Share this release: <a href="#">Facebook</a> <a href="#">X</a>
<a href="#">LinkedIn</a> <a href="#">Email</a></div>
<p class="disclaimer">The issuer is solely responsible for the content of this announcement.
GlobeWire does not verify press releases before publication.</p>
</article>
<aside class="sidebar"><h2>Related releases</h2><ul>{related}</ul>
<h2>Most read this week</h2><ol>{popular}</ol>
<div class="newsletter"><h2>Newsletter</h2><p>Get the day's most important press releases
delivered to your inbox every morning, free of charge.</p>
<input placeholder="Your email address"><button>Subscribe</button></div>
<p class="breaking">Breaking: <a href="/b">{breaking}</a></p></aside>
</main>
<footer class="site-footer"><ul><li><a href="/about">About GlobeWire</a></li>
<li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy policy</a></li>
<li><a href="/terms">Terms of use</a></li></ul>
<p>GlobeWire distributes news releases for companies, public bodies and non-profit
organisations in more than 40 countries.</p>
<p>© 2024 GlobeWire Ltd. All rights reserved.</p></footer>
</body></html>""",
)

ASSOCIATION = SiteTemplate(
    "presse.landesverband.example",
    """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title} - Presseportal Landesverband</title>
<link rel="canonical" href="{url}">
</head><body bgcolor="#ffffff">
<div id="kopf"><img src="/img/logo.gif" alt="Landesverband">
<div class="claim">Der Landesverband – Ihre Stimme im Land</div></div>
<div class="topmenu"><a href="/">Startseite</a> | <a href="/verband">Über uns</a> |
<a href="/presse">Presse</a> | <a href="/termine">Termine</a> | <a href="/mitglieder">Mitglieder</a>
| <a href="/kontakt">Kontakt</a></div>
<div class="breadcrumb">Sie befinden sich hier: <a href="/">Startseite</a> &raquo;
<a href="/presse">Presse</a> &raquo; Pressemitteilungen</div>
<table width="100%" cellpadding="0" cellspacing="0"><tr>
<td class="spalte-links" width="200" valign="top">
<div class="kasten"><b>Aktuelle Termine</b><br>12.03. Mitgliederversammlung<br>
24.04. Fachtagung Nachhaltigkeit<br>08.05. Parlamentarischer Abend</div>
<div class="kasten"><b>Newsletter</b><br>Melden Sie sich für unseren Newsletter an und erhalten
Sie alle Pressemitteilungen direkt in Ihr Postfach.<br>
<a href="/newsletter">Jetzt anmelden</a></div>
<div class="kasten"><b>Letzte Meldung</b><br><a href="/b">{breaking}</a></div>
</td><td class="inhalt" valign="top">
<div class="datum">Pressemitteilung vom {date}</div>
<h2 class="titel">{title}</h2>
{body}
<div class="pressekontakt"><b>Pressekontakt:</b><br>Landesverband e.V., Referat Presse- und
Öffentlichkeitsarbeit<br>Telefon 030 1234567 · presse@landesverband.example</div>
<div class="zurueck"><a href="/presse">&laquo; zurück zur Übersicht</a> |
<a href="javascript:print()">Seite drucken</a></div>
<div class="weitere"><b>Weitere Pressemitteilungen</b><ul>{related}</ul></div>
<div class="beliebt"><b>Meistgelesen</b><ul>{popular}</ul></div>
</td></tr></table>
<div class="fuss">Landesverband e.V. · Musterstraße 12 · 10115 Berlin · {author} ·
<a href="/impressum">Impressum</a> · <a href="/datenschutz">Datenschutz</a> ·
<a href="/barrierefreiheit">Barrierefreiheit</a></div>
</body></html>""",
)

BLOG = SiteTemplate(
    "carnet-communiques.example",
    """<!DOCTYPE html>
<html lang="fr-FR"><head><meta charset="UTF-8">
<title>{title} – Le Carnet des communiqués</title>
<link rel="canonical" href="{url}">
<meta property="og:site_name" content="Le Carnet des communiqués">
</head><body class="post-template-default single single-post">
<div id="page" class="site">
<div id="masthead" class="site-header"><p class="site-title"><a href="/">Le Carnet des
communiqués</a></p><p class="site-description">Communiqués, annonces et nouvelles des
associations</p>
<div class="menu-principal"><ul id="menu-1" class="menu"><li><a href="/">Accueil</a></li>
<li><a href="/category/actualites/">Actualités</a></li><li><a href="/category/culture/">Culture</a>
</li><li><a href="/category/economie/">Économie</a></li><li><a href="/a-propos/">À propos</a></li>
</ul></div></div>
<div id="content" class="site-content"><div id="primary" class="content-area">
<div class="post type-post status-publish hentry">
<div class="entry-header"><h1 class="entry-title">{title}</h1>
<div class="entry-meta">Publié le {date} par {author}</div></div>
<div class="entry-content">
{body}
</div>
<div class="entry-footer">Catégorie : Actualités · <a href="#respond">Laisser un commentaire</a>
</div></div>
<div class="jp-relatedposts"><h3>Articles similaires</h3><ul>{related}</ul></div>
<div class="author-box"><p>{author} écrit pour le Carnet depuis 2015 et couvre la vie
associative, la culture et l'économie locale de la région pour nos lecteurs.</p></div>
<div id="comments" class="comments-area"><div id="respond"><h3>Laisser un commentaire</h3>
<p>Votre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués avec *</p>
<textarea name="comment"></textarea><p>Enregistrer mon nom, mon e-mail et mon site dans le
navigateur pour mon prochain commentaire.</p></div></div>
</div>
<div id="secondary" class="widget-area"><div class="widget"><h2>Articles récents</h2>
<ul>{popular}</ul></div><div class="widget"><h2>À la une</h2><p>{breaking}</p></div>
<div class="widget"><h2>Catégories</h2><ul><li>Actualités</li><li>Culture</li><li>Économie</li>
<li>Sport</li></ul></div><div class="widget"><h2>Archives</h2><ul><li>mars 2024</li>
<li>février 2024</li><li>janvier 2024</li></ul></div></div>
</div>
<div id="colophon" class="site-footer"><div class="site-info">Fièrement propulsé par WordPress |
Thème : Carnet par Studio Exemple.</div></div>
</div></body></html>""",
)

PORTAL = SiteTemplate(
    "diarioregional.example",
    """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8">
<title>{title} - Diario Regional Digital</title>
<link rel="canonical" href="{url}"><meta name="author" content="{author}">
</head><body>
<div class="barra-superior">{date} | <a href="/login">Iniciar sesión</a> |
<a href="/suscripcion">Suscríbete</a></div>
<div class="ultima-hora"><span>Última hora:</span> <a href="/b">{breaking}</a></div>
<div class="cabecera"><a class="logo" href="/">Diario Regional Digital</a>
<ul class="secciones"><li><a href="/">Portada</a></li><li><a href="/nacional">Nacional</a></li>
<li><a href="/internacional">Internacional</a></li><li><a href="/economia">Economía</a></li>
<li><a href="/deportes">Deportes</a></li><li><a href="/cultura">Cultura</a></li>
<li><a href="/opinion">Opinión</a></li></ul></div>
<div class="contenedor"><div class="columna-principal"><div class="noticia">
<h1>{title}</h1>
<div class="firma">Por {author} | {date}</div>
<div class="cuerpo">
{body}
</div>
<div class="etiquetas">Etiquetas: <a href="/t/1">noticias</a> <a href="/t/2">región</a>
<a href="/t/3">actualidad</a></div>
<div class="aviso">Queda prohibida la reproducción total o parcial de este contenido sin
autorización expresa del Diario Regional Digital.</div>
</div>
<div class="relacionadas"><h3>Noticias relacionadas</h3><ul>{related}</ul></div></div>
<div class="columna-lateral"><h3>Lo más leído</h3><ol>{popular}</ol>
<div class="boletin"><p>Recibe cada mañana en tu correo las noticias más importantes del día
con nuestro boletín gratuito.</p></div></div></div>
<div class="pie"><p>Diario Regional Digital · Avenida Central 123, San José · Teléfono
(506) 2222-0000</p><p>© 2024 Diario Regional Digital. Todos los derechos reservados.</p></div>
</body></html>""",
    ad_after=3,
)

TEMPLATES = (NEWSWIRE, ASSOCIATION, BLOG, PORTAL)


# --------------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Source:
    """A corpus article that gets variants."""

    name: str
    raw: RawDocument
    doc: Document
    site: str

    @property
    def body(self) -> list[str]:
        return paragraphs(self.doc.text)

    @property
    def title(self) -> str:
        return self.doc.title or self.body[0]


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


# --------------------------------------------------------------------------------------------
# The labelled set
# --------------------------------------------------------------------------------------------


@dataclass
class Pool:
    """The extracted corpus: the articles variants are made from, by file name."""

    sources: dict[str, Source]
    copies: list[tuple[str, str, float, float]]
    """Corpus pages copying another ``(kept, left_out, jaccard, containment)``."""
    left_out: dict[str, Source]
    extract_s: float


def load_pool(corpus: Path, jobs: int) -> Pool:
    """Read and extract every corpus page; keep one page of each pair of copies."""
    clock = time.perf_counter()
    raws = read_corpus(corpus)
    hosts = annotated_hosts(corpus)
    sources = {}
    for raw, doc in zip(raws, extract_all(raws, jobs), strict=True):
        if isinstance(doc, Document):
            name = file_name(raw)
            site = hosts.get(name) or page_host(doc.url) or f"page:{name}"
            sources[name] = Source(name, raw, doc, site)
    copies = find_corpus_copies({name: s.doc.text for name, s in sources.items()})
    left_out = {b: sources.pop(b) for _a, b, _j, _c in copies if b in sources}
    return Pool(sources, copies, left_out, time.perf_counter() - clock)


@dataclass
class LabelledSet:
    seed: int
    docs: list[Document]
    labels: dict[str, Label]
    """doc_id -> label."""
    failures: Counter[str]
    """Variant kind -> variants whose extraction failed (left out)."""
    boilerplate_cleaned: int
    extract_s: float

    @property
    def groups(self) -> dict[str, str]:
        """doc_id -> group."""
        return {d.doc_id: self.labels[d.doc_id].group for d in self.docs}


def build_labelled_set(
    pool: Pool,
    sources: int,
    seed: int,
    jobs: int,
    issuers: int = 30,
    issuer_size: int = 5,
    boilerplate: bool = True,
) -> LabelledSet:
    """Variants of ``sources`` random articles and ``issuers`` release series, extracted and
    labelled, with every corpus article as it is."""
    clock = time.perf_counter()
    rng = random.Random(seed)
    eligible = [
        name
        for name, s in sorted(pool.sources.items())
        if len(s.body) >= MIN_PARAGRAPHS and len(s.doc.text.split()) >= MIN_WORDS
    ]
    chosen = sorted(rng.sample(eligible, min(sources, len(eligible))))
    builder = VariantBuilder(pool.sources, seed)
    variants = [v for name in chosen for v in builder.variants(pool.sources[name])]
    variants += builder.issuer_series(issuers, issuer_size)
    variant_docs = extract_all([v.raw for v in variants], jobs)

    docs, labels, failures = [], {}, Counter()
    for name, source in pool.sources.items():
        docs.append(source.doc)
        labels[source.doc.doc_id] = Label(name, "original", source.site)
    for variant, doc in zip(variants, variant_docs, strict=True):
        if isinstance(doc, Document):
            docs.append(doc)
            labels[doc.doc_id] = variant.label
        else:
            failures[variant.label.kind] += 1
    docs, _repeated = drop_repeated(docs)
    cleaned = 0
    if boilerplate:
        docs, _emptied, cleaned = remove_site_boilerplate(docs)
    docs, _unrepairable = repair_documents(docs, workers=os.cpu_count() or 1)
    return LabelledSet(seed, docs, labels, failures, cleaned, time.perf_counter() - clock)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def pairs_within(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pair_scores(clusters: Mapping[str, str], groups: Mapping[str, str]) -> Scores:
    """Pairwise counts of a clustering (doc_id -> cluster) against groups (doc_id -> group)."""
    both = Counter((clusters[d], groups[d]) for d in clusters)
    return Scores(
        true_positives=pairs_within(both.values()),
        predicted_pairs=pairs_within(Counter(clusters.values()).values()),
        true_pairs=pairs_within(Counter(groups[d] for d in clusters).values()),
    )


def exact_jaccard(a: str, b: str, size: int = 3) -> float:
    x, y = shingles(a, size), shingles(b, size)
    return len(x & y) / len(x | y) if x | y else 1.0


@dataclass
class Evaluation:
    """Everything measured at one setting, as counts so that seeds can be pooled."""

    scores: Scores
    found: Counter[str]
    """Variant kind -> (original, variant) pairs that share a cluster..."""
    variants: Counter[str]
    """...out of this many."""
    jaccards: dict[str, list[float]]
    """Variant kind -> exact 3-shingle Jaccard of each (original, variant) pair."""
    merged: Counter[str]
    """Negative category -> negative pairs that share a cluster (false positives)..."""
    negatives: Counter[str]
    """...out of this many."""
    examples: list[tuple[str, str, str]]
    dedup_s: float

    def __add__(self, other: Evaluation) -> Evaluation:
        jaccards = defaultdict(list, {k: list(v) for k, v in self.jaccards.items()})
        for kind, values in other.jaccards.items():
            jaccards[kind] += values
        return Evaluation(
            self.scores + other.scores,
            self.found + other.found,
            self.variants + other.variants,
            dict(jaccards),
            self.merged + other.merged,
            self.negatives + other.negatives,
            self.examples + other.examples,
            self.dedup_s + other.dedup_s,
        )

    def as_dict(self) -> dict:
        return {
            "scores": self.scores.as_dict(),
            "kind_recall": {
                kind: {
                    "found": self.found[kind],
                    "total": total,
                    "median_jaccard": statistics.median(self.jaccards[kind]),
                }
                for kind, total in self.variants.items()
            },
            "negatives": {
                c: {"merged": self.merged[c], "total": self.negatives[c]}
                for c in NEGATIVE_CATEGORIES
            },
            "dedup_s": self.dedup_s,
        }


def evaluate(
    labelled: LabelledSet, settings: DedupSettings, topics: tuple[dict[str, int], np.ndarray]
) -> Evaluation:
    """Run the production ``deduplicate`` at ``settings`` and measure it."""
    docs, labels = labelled.docs, labelled.labels
    clock = time.perf_counter()
    clusters = run_dedup(docs, settings)
    seconds = time.perf_counter() - clock
    found, variants, jaccards = kind_recall(docs, labels, clusters)
    merged, negatives, examples = negative_breakdown(docs, labels, clusters, topics)
    scores = pair_scores(clusters, labelled.groups)
    return Evaluation(scores, found, variants, jaccards, merged, negatives, examples, seconds)


def kind_recall(
    docs: Sequence[Document], labels: Mapping[str, Label], clusters: Mapping[str, str]
) -> tuple[Counter[str], Counter[str], dict[str, list[float]]]:
    """Per variant kind: (original, variant) pairs sharing a cluster, all such pairs, and their
    exact 3-shingle Jaccard similarities."""
    originals = {labels[d.doc_id].group: d for d in docs if labels[d.doc_id].kind == "original"}
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    jaccards: dict[str, list[float]] = defaultdict(list)
    for doc in docs:
        label = labels[doc.doc_id]
        original = originals.get(label.group)
        if label.kind == "original" or original is None:
            continue
        total[label.kind] += 1
        found[label.kind] += clusters[doc.doc_id] == clusters[original.doc_id]
        jaccards[label.kind].append(exact_jaccard(doc.text, original.text))
    return found, total, dict(jaccards)


def topic_similarity(
    docs: Sequence[Document], labels: Mapping[str, Label]
) -> tuple[dict[str, int], np.ndarray]:
    """Group index and the groups' TF-IDF cosine matrix, from each group's original text.

    Words frequent within a language (in 15% or more of its pages) are dropped as stopwords, so
    that similarity means shared subject words, not a shared language.
    """
    originals = sorted(
        (labels[d.doc_id].group, d) for d in docs if labels[d.doc_id].kind == "original"
    )
    index = {group: i for i, (group, _doc) in enumerate(originals)}
    counts = [Counter(hashing_view(doc.text).split()) for _group, doc in originals]
    languages = [doc.language or "?" for _group, doc in originals]
    stopwords = _language_stopwords(counts, languages)
    df = Counter(word for c in counts for word in c)
    rows, cols, values, vocabulary = [], [], [], {}
    for row, (c, language) in enumerate(zip(counts, languages, strict=True)):
        for word, n in c.items():
            if df[word] >= 2 and word not in stopwords[language]:
                rows.append(row)
                cols.append(vocabulary.setdefault(word, len(vocabulary)))
                values.append((1 + math.log(n)) * math.log(len(counts) / df[word]))
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(counts), len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    matrix = sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix
    return index, (matrix @ matrix.T).toarray()


def _language_stopwords(
    counts: Sequence[Counter[str]], languages: Sequence[str]
) -> dict[str, set[str]]:
    """Per language, the words found in at least 15% (and 3) of its pages."""
    pages: Counter[str] = Counter(languages)
    df: dict[str, Counter[str]] = defaultdict(Counter)
    for c, language in zip(counts, languages, strict=True):
        df[language].update(c.keys())
    return {
        language: {w for w, n in df[language].items() if n >= max(3, 0.15 * pages[language])}
        for language in pages
    }


NEGATIVE_CATEGORIES = ("shared boilerplate", "same site/template", "similar subject", "unrelated")
"""Kinds of negative pairs, hardest first; a pair counts in the first that applies."""


def negative_breakdown(
    docs: Sequence[Document],
    labels: Mapping[str, Label],
    clusters: Mapping[str, str],
    topics: tuple[dict[str, int], np.ndarray],
    examples: int = 3,
) -> tuple[Counter[str], Counter[str], list[tuple[str, str, str]]]:
    """Per category: negative pairs sharing a cluster, all negative pairs; a few merged examples.

    A pair merged only through a chain (a ~ b ~ c) counts in the category of (a, c) itself.
    """
    index, similarity = topics
    ids = [d.doc_id for d in docs]

    def codes(values: list[str]) -> np.ndarray:
        numbering = {v: n for n, v in enumerate(sorted(set(values)))}
        return np.array([numbering[v] for v in values])

    group = np.array([index[labels[i].group] for i in ids])
    site = codes([labels[i].site for i in ids])
    issuer = codes([labels[i].issuer or f"none:{i}" for i in ids])
    cluster = codes([clusters[i] for i in ids])
    merged, total, shown = Counter(), Counter(), []
    for i in range(len(ids) - 1):
        rest = slice(i + 1, None)
        left = group[rest] != group[i]  # negatives not yet given a category
        masks = {}
        for name, related in (
            ("shared boilerplate", issuer[rest] == issuer[i]),
            ("same site/template", site[rest] == site[i]),
            ("similar subject", similarity[group[i], group[rest]] >= SIMILAR_SUBJECT),
            ("unrelated", np.ones_like(left)),
        ):
            masks[name], left = left & related, left & ~related
        together = cluster[rest] == cluster[i]
        for name, mask in masks.items():
            total[name] += int(mask.sum())
            hits = np.flatnonzero(mask & together)
            merged[name] += len(hits)
            for j in hits[: max(0, examples - len(shown))]:
                a, b = labels[ids[i]], labels[ids[i + 1 + j]]
                shown.append((name, f"{a.group} [{a.kind}]", f"{b.group} [{b.kind}]"))
    return merged, total, shown


# --------------------------------------------------------------------------------------------
# Running the deduplication, with signatures cached across the sweep
# --------------------------------------------------------------------------------------------


class SignatureCache:
    """``dedup.minhash.signature_matrix`` computed once per (shingle size, permutations, seed,
    text): a cached row is exactly the one production would compute."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int, int, str], np.ndarray] = {}

    def __call__(self, texts: Sequence[str], settings: DedupSettings) -> np.ndarray:
        prefix = (settings.shingle_size, settings.num_perm, settings.seed)
        missing = [text for text in dict.fromkeys(texts) if (*prefix, text) not in self._cache]
        for text, row in zip(missing, signature_matrix(missing, settings), strict=True):
            self._cache[(*prefix, text)] = row
        rows = [self._cache[(*prefix, text)] for text in texts]
        return np.stack(rows) if rows else signature_matrix([], settings)


def run_dedup(
    docs: Sequence[Document],
    settings: DedupSettings,
    cache: SignatureCache | None = None,
    pair_finder: Callable | None = None,
) -> dict[str, str]:
    """``deduplicate`` (optionally with cached signatures or another pair finder);
    returns doc_id -> cluster_id."""
    with (
        mock.patch.object(dedup_clusters, "signature_matrix", cache or signature_matrix),
        mock.patch.object(dedup_clusters, "similar_pairs", pair_finder or dedup_lsh.similar_pairs),
    ):
        deduplicate(list(docs), settings)
    return {doc.doc_id: doc.cluster_id for doc in docs}


def order_independent(
    docs: Sequence[Document], settings: DedupSettings, seed: int, shuffles: int = ORDER_SHUFFLES
) -> bool:
    """True when shuffled inputs give every document the same dedup fields."""

    def fields() -> dict[str, tuple]:
        return {
            d.doc_id: (d.cluster_id, d.is_canonical, d.duplicate_of, d.dup_kind, d.similarity)
            for d in docs
        }

    deduplicate(list(docs), settings)
    reference = fields()
    rng = random.Random(seed)
    for _ in range(shuffles):
        shuffled = list(docs)
        rng.shuffle(shuffled)
        deduplicate(shuffled, settings)
        if fields() != reference:
            return False
    return True


def brute_force_pairs(
    signatures: np.ndarray, _band_keys: np.ndarray, settings: DedupSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair whose estimated Jaccard reaches the threshold, without LSH banding."""
    pairs, similarities = [], []
    for i in range(len(signatures) - 1):
        similarity = (signatures[i + 1 :] == signatures[i]).mean(axis=1)
        for j in np.flatnonzero(similarity >= settings.threshold):
            pairs.append((i, i + 1 + j))
            similarities.append(similarity[j])
    return np.array(pairs, dtype=np.int64).reshape(-1, 2), np.array(similarities)


def sweep(
    labelled: LabelledSet,
    cache: SignatureCache,
    thresholds: Sequence[float],
    shingle_sizes: Sequence[int],
    num_perms: Sequence[int],
) -> list[SweepRow]:
    """Scores of every combination of the given values on one labelled set."""
    rows = []
    groups = labelled.groups
    for shingle_size in shingle_sizes:
        for num_perm in num_perms:
            for threshold in thresholds:
                settings = DedupSettings(
                    threshold=threshold, shingle_size=shingle_size, num_perm=num_perm
                )
                clusters = run_dedup(labelled.docs, settings, cache)
                scores = pair_scores(clusters, groups)
                rows.append(SweepRow(labelled.seed, shingle_size, num_perm, threshold, scores))
    return rows


def setting(row: SweepRow) -> tuple[int, int, float]:
    return row.shingle_size, row.num_perm, row.threshold


def pooled(rows: Sequence[SweepRow]) -> list[SweepRow]:
    """One row per setting, the counts summed over seeds, in first-seen order."""
    totals: dict[tuple[int, int, float], Scores] = {}
    for row in rows:
        key = setting(row)
        totals[key] = totals[key] + row.scores if key in totals else row.scores
    return [SweepRow(None, *key, scores) for key, scores in totals.items()]


NEIGHBOURHOOD = 0.05
"""Thresholds this close count as neighbours when judging how robust a setting is."""


def robust_margin(row: SweepRow, per_seed: Sequence[SweepRow]) -> float:
    """The smallest margin over every seed at ``row``'s threshold and its neighbours (same
    shingle size and permutations): a setting next to a cliff, or good on one draw of the
    labelled set only, is fragile whatever its pooled score."""
    return min(
        r.scores.margin
        for r in per_seed
        if (r.shingle_size, r.num_perm) == (row.shingle_size, row.num_perm)
        and abs(r.threshold - row.threshold) <= NEIGHBOURHOOD + 1e-9
    )


NOISE_BUFFER = 4.0
"""Thresholds must lie this many standard deviations of the MinHash estimate above the hardest
negatives (odds of about 3e-5 that one such pair is merged by estimation noise; union-find
chains such merges). Closer, precision on this set may look perfect only because few of its
negatives are that similar, while press releases sharing an issuer's boilerplate are common."""


def hardest_negatives(labelled: LabelledSet, shingle_sizes: Sequence[int]) -> dict[int, float]:
    """Per shingle size: the highest exact Jaccard between releases of one series (different
    articles sharing the issuer's block), the closest negatives the set is built to hold."""
    series: dict[str, list[Document]] = defaultdict(list)
    for doc in labelled.docs:
        label = labelled.labels[doc.doc_id]
        if label.issuer:
            series[label.issuer].append(doc)
    pairs = [
        (a.text, b.text)
        for docs in series.values()
        for a, b in combinations(docs, 2)
        if labelled.labels[a.doc_id].group != labelled.labels[b.doc_id].group
    ]
    return {
        size: max((exact_jaccard(a, b, size) for a, b in pairs), default=0.0)
        for size in shingle_sizes
    }


def noise_buffer(row: SweepRow, hardest: Mapping[int, float]) -> float:
    """How many standard deviations of the estimated Jaccard (at the hardest negative's
    similarity) the threshold lies above the hardest negative."""
    j = hardest[row.shingle_size]
    return (row.threshold - j) / max(math.sqrt(j * (1 - j) / row.num_perm), 1e-9)


def ranking(
    rows: Sequence[SweepRow],
    per_seed: Sequence[SweepRow],
    hardest: Mapping[int, float],
    top: int = 8,
) -> list[tuple[SweepRow, float, float]]:
    """Pooled settings meeting both targets with a noise buffer of at least ``NOISE_BUFFER``,
    by robust margin (ties: fewer permutations, then longer shingles)."""
    scored = [
        (row, robust_margin(row, per_seed), noise_buffer(row, hardest))
        for row in rows
        if row.scores.margin > 0 and noise_buffer(row, hardest) >= NOISE_BUFFER
    ]
    scored.sort(key=lambda item: (-round(item[1], 2), item[0].num_perm, -item[0].shingle_size))
    return scored[:top]


def compare_lsh(
    labelled: LabelledSet, settings: DedupSettings, cache: SignatureCache
) -> dict[str, tuple[Scores, float]]:
    """Scores and seconds with other LSH band weightings, and with every pair compared."""
    options: list[tuple[str, Callable | None, tuple[float, float]]] = [
        (f"weights {w}", None, w) for w in ((0.5, 0.5), (0.2, 0.8), (0.1, 0.9))
    ]
    options.append(("all pairs, no LSH", brute_force_pairs, dedup_lsh.LSH_WEIGHTS))
    results = {}
    for name, finder, weights in options:
        clock = time.perf_counter()
        with mock.patch.object(dedup_lsh, "LSH_WEIGHTS", weights):
            dedup_lsh.lsh_shape.cache_clear()  # the banding follows the weights
            clusters = run_dedup(labelled.docs, settings, cache, finder)
        dedup_lsh.lsh_shape.cache_clear()
        results[name] = (pair_scores(clusters, labelled.groups), time.perf_counter() - clock)
    return results


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def describe(settings: DedupSettings) -> str:
    return (
        f"threshold {settings.threshold}, shingle_size {settings.shingle_size}, "
        f"num_perm {settings.num_perm}"
    )


def print_pool(pool: Pool, settings: DedupSettings) -> None:
    """The corpus, and its own copies (kept once) with their similarity."""
    print(
        f"corpus: {len(pool.sources) + len(pool.left_out):,} pages extracted in "
        f"{pool.extract_s:.0f}s; {len(pool.copies)} copy another page and are left out:"
    )
    for a, b, _jaccard, containment in pool.copies:
        text_a, text_b = pool.sources[a].doc.text, pool.left_out[b].doc.text
        jaccard = exact_jaccard(text_a, text_b, settings.shingle_size)
        print(
            f"    {a} ~ {b}: Jaccard {jaccard:.2f} at shingle size {settings.shingle_size}, "
            f"containment {containment:.2f}"
        )


def print_labelled_set(labelled: LabelledSet) -> None:
    sizes = Counter(labelled.groups.values())
    kinds = Counter(labelled.labels[d.doc_id].kind for d in labelled.docs)
    print(
        f"seed {labelled.seed}: {len(labelled.docs):,} documents in {len(sizes):,} groups "
        f"({sum(1 for n in sizes.values() if n > 1)} with variants), "
        f"{pairs_within(sizes.values()):,} true pairs; variants extracted in "
        f"{labelled.extract_s:.0f}s; {labelled.boilerplate_cleaned} documents changed by "
        "site boilerplate removal"
    )
    print("    by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    if labelled.failures:
        failed = ", ".join(f"{k} {n}" for k, n in labelled.failures.items())
        print(f"    variants whose extraction failed (left out): {failed}")


def print_evaluation(evaluation: Evaluation) -> None:
    """Scores, recall by variant kind and false positives by negative category."""
    scores = evaluation.scores
    print(
        f"precision {pct(scores.precision)}  recall {pct(scores.recall)}  F1 {pct(scores.f1)}  "
        f"(true pairs {scores.true_pairs:,}, predicted {scores.predicted_pairs:,}, correct "
        f"{scores.true_positives:,}; deduplicate {evaluation.dedup_s:.1f}s)"
    )
    print("  recall of (original, variant) pairs by kind   [median exact 3-shingle Jaccard]")
    for kind in (*VARIANT_KINDS, ISSUER_KIND):
        found, total = evaluation.found[kind], evaluation.variants[kind]
        if total:
            jaccard = statistics.median(evaluation.jaccards[kind])
            print(f"    {kind:<18} {found:>5}/{total:<5} {pct(found / total):>8}   [{jaccard:.2f}]")
    print("  negative pairs merged (false positives) by category")
    for category in NEGATIVE_CATEGORIES:
        merged, total = evaluation.merged[category], evaluation.negatives[category]
        print(f"    {category:<20} {merged:>6} of {total:>12,}")
    for category, a, b in evaluation.examples[:6]:
        print(f"      e.g. {category}: {a} ~ {b}")


def print_sweep(rows: Sequence[SweepRow], thresholds: Sequence[float]) -> None:
    """Two compact tables (precision, recall) with one row per (shingle size, num_perm)."""
    header = "shingle perm | " + " ".join(f"{t:>6.2f}" for t in thresholds)
    by_setting: dict[tuple[int, int], dict[float, SweepRow]] = defaultdict(dict)
    for row in rows:
        by_setting[row.shingle_size, row.num_perm][row.threshold] = row
    for metric in ("precision", "recall"):
        print(
            f"\n{metric} (%) by threshold; * = meets both targets "
            f"(P >= {TARGET_PRECISION:.0%}, R >= {TARGET_RECALL:.0%})"
        )
        print(header)
        for (shingle_size, num_perm), cells in by_setting.items():
            values = []
            for t in thresholds:
                row = cells[t]
                mark = "*" if row.scores.margin > 0 else " "
                values.append(f"{100 * getattr(row.scores, metric):5.1f}{mark}")
            print(f"{shingle_size:>7} {num_perm:>4} | " + " ".join(values))


def print_ranking(
    ranked: Sequence[tuple[SweepRow, float, float]], hardest: Mapping[int, float]
) -> None:
    closest = ", ".join(f"{size}: {j:.2f}" for size, j in hardest.items())
    print(f"\nhardest negatives, exact Jaccard by shingle size: {closest}")
    print(
        "settings by robust margin (the worst margin over every seed at the threshold and its "
        f"neighbours +-{NEIGHBOURHOOD}; 1 = no errors, 0 = on a target), among those whose "
        f"threshold is >= {NOISE_BUFFER:.0f} sigma of the MinHash estimate above the hardest "
        "negatives"
    )
    print("shingle perm threshold | precision  recall | margin robust | sigma")
    for row, robust, buffer in ranked:
        print(
            f"{row.shingle_size:>7} {row.num_perm:>4} {row.threshold:>9.2f} | "
            f"{pct(row.scores.precision):>9} {pct(row.scores.recall):>7} | "
            f"{row.scores.margin:>6.2f} {robust:>6.2f} | {buffer:>5.1f}"
        )


def print_lsh(results: Mapping[str, tuple[Scores, float]]) -> None:
    print("  weights = (false positive, false negative) weights from which datasketch picks bands")
    for name, (scores, seconds) in results.items():
        print(
            f"    {name:<20} precision {pct(scores.precision)}  recall {pct(scores.recall)}  "
            f"({seconds:.2f}s with cached signatures)"
        )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="dev-corpus extraction folder (annotations.json, html/); default: %(default)s",
    )
    parser.add_argument(
        "--sources", type=int, default=300, help="articles that get variants, per seed"
    )
    parser.add_argument(
        "--issuers", type=int, default=30, help="release series sharing an 'about us' block"
    )
    parser.add_argument("--issuer-size", type=int, default=5, help="releases per series")
    parser.add_argument(
        "--seeds",
        type=ints,
        default=[20240611, 1, 2],
        help="one labelled set per seed, results pooled (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 2, help="extraction processes"
    )
    parser.add_argument(
        "--thresholds", type=floats, default=[round(0.3 + 0.05 * i, 2) for i in range(11)]
    )
    parser.add_argument("--shingle-sizes", type=ints, default=[1, 2, 3, 4, 5])
    parser.add_argument("--num-perms", type=ints, default=[64, 128, 256])
    parser.add_argument("--no-sweep", action="store_true", help="only evaluate the defaults")
    parser.add_argument(
        "--no-boilerplate-removal",
        action="store_true",
        help="skip the pipeline's site boilerplate removal before dedup",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)


@dataclass
class SeedResult:
    """What one seed's labelled set measured."""

    evaluation: Evaluation
    order_independent: bool
    rows: list[SweepRow]
    lsh: dict[str, tuple[Scores, float]]
    hardest: dict[int, float]


def run_seed(pool: Pool, seed: int, args: argparse.Namespace) -> SeedResult:
    """Build one labelled set; evaluate the defaults, check input order, and sweep."""
    defaults = DedupSettings()
    labelled = build_labelled_set(
        pool,
        args.sources,
        seed,
        args.jobs,
        issuers=args.issuers,
        issuer_size=args.issuer_size,
        boilerplate=not args.no_boilerplate_removal,
    )
    print_labelled_set(labelled)
    topics = topic_similarity(labelled.docs, labelled.labels)
    result = SeedResult(
        evaluation=evaluate(labelled, defaults, topics),
        order_independent=order_independent(labelled.docs, defaults, seed),
        rows=[],
        lsh={},
        hardest={},
    )
    if not args.no_sweep:
        cache = SignatureCache()
        result.rows = sweep(labelled, cache, args.thresholds, args.shingle_sizes, args.num_perms)
        result.lsh = compare_lsh(labelled, defaults, cache)
        result.hardest = hardest_negatives(labelled, args.shingle_sizes)
    return result


def report_sweep(seeds: Sequence[SeedResult], thresholds: Sequence[float]) -> dict:
    """Print the pooled sweep, the ranking and the LSH comparison; return them for JSON."""
    per_seed = [row for seed in seeds for row in seed.rows]
    rows = pooled(per_seed)
    hardest = {size: max(seed.hardest[size] for seed in seeds) for size in seeds[0].hardest}
    print(f"\n== sweep: {len(rows)} settings x {len(seeds)} seeds, pooled ==")
    print_sweep(rows, thresholds)
    ranked = ranking(rows, per_seed, hardest)
    print_ranking(ranked, hardest)
    lsh = {
        name: (
            sum((seed.lsh[name][0] for seed in seeds[1:]), seeds[0].lsh[name][0]),
            sum(seed.lsh[name][1] for seed in seeds),
        )
        for name in seeds[0].lsh
    }
    print(f"\n== LSH banding at the defaults (LSH_WEIGHTS = {dedup_lsh.LSH_WEIGHTS}) ==")
    print_lsh(lsh)
    return {
        "sweep": [
            {"seed": r.seed, "setting": setting(r), **r.scores.as_dict()} for r in per_seed + rows
        ],
        "hardest_negatives": hardest,
        "ranking": [
            {"setting": setting(r), "margin": r.scores.margin, "robust_margin": m, "sigma": b}
            for r, m, b in ranked
        ],
        "lsh": {name: scores.as_dict() for name, (scores, _seconds) in lsh.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.corpus / "annotations.json").is_file():
        print(f"corpus not found: {args.corpus} (pass --corpus)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    defaults = DedupSettings()
    pool = load_pool(args.corpus, args.jobs)
    print_pool(pool, defaults)
    seeds = [run_seed(pool, seed, args) for seed in args.seeds]

    evaluation = sum((s.evaluation for s in seeds[1:]), seeds[0].evaluation)
    stable = all(s.order_independent for s in seeds)
    print(f"\n== defaults ({describe(defaults)}), {len(seeds)} seeds pooled ==")
    print_evaluation(evaluation)
    print(
        f"order-independent ({ORDER_SHUFFLES} shuffles per seed, every dedup field equal): "
        f"{'yes' if stable else 'NO'}"
    )
    results = {
        "seeds": args.seeds,
        "settings": asdict(defaults),
        "defaults": evaluation.as_dict(),
        "order_independent": stable,
    }
    if not args.no_sweep:
        results.update(report_sweep(seeds, args.thresholds))
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
