"""Reading and extracting the dev corpus; its pages that copy each other are kept once."""

from __future__ import annotations

import json
import multiprocessing
import re
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

from pressroom.dedup.shingles import shingles
from pressroom.schemas import Document, RawDocument, StageError
from pressroom.settings import ReadSettings
from pressroom.sources import read_file
from pressroom.stages.extract import process_document, warm_up

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "dev-corpus" / "extraction"


COPY_CONTAINMENT = 0.5
"""Corpus pages sharing this share of the smaller page's 3-word shingles are copies."""


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
