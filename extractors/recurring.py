"""Boilerplate learned from the batch itself: short lines that recur across one site's pages.

A line ("Share this article", "Subscribe to our newsletter", a footer) that many distinct
documents of the same site contain is template, not content. The counts are taken over distinct
contents, so copies of one article never make its own sentences look like boilerplate.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

from pressroom.extractors.settings import BoilerplateSettings
from pressroom.schemas import Document


def site_key(doc: Document) -> str:
    """The site a document belongs to: its host, else the folder its raw file lives in."""
    if doc.url and urlsplit(doc.url).hostname:
        return urlsplit(doc.url).hostname
    return doc.site or os.path.dirname(doc.raw_path)


def learn_recurring_lines(
    docs: Iterable[Document], settings: BoilerplateSettings = BoilerplateSettings()
) -> dict[str, set[str]]:
    """For each site, the (case-folded) lines that count as boilerplate there."""
    contents: dict[str, set[str]] = defaultdict(set)
    line_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in docs:
        site = site_key(doc)
        if doc.content_hash in contents[site]:
            continue
        contents[site].add(doc.content_hash)
        line_counts[site].update(
            {
                _key(line)
                for line in doc.text.splitlines()
                if line.strip() and len(line.split()) <= settings.max_words
            }
        )
    recurring: dict[str, set[str]] = {}
    for site, counts in line_counts.items():
        needed = max(settings.min_docs, settings.min_share * len(contents[site]))
        lines = {line for line, count in counts.items() if count >= needed}
        if lines:
            recurring[site] = lines
    return recurring


def remove_recurring_lines(text: str, lines: set[str]) -> str:
    """The text without the given lines, paragraph breaks kept tidy."""
    kept = [line for line in text.split("\n") if not line.strip() or _key(line) not in lines]
    return "\n".join(kept).replace("\n\n\n", "\n\n").strip()


def _key(line: str) -> str:
    return " ".join(line.casefold().split())
