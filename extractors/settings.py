"""Settings of article extraction and of site-boilerplate removal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractSettings:
    """Article extraction."""

    timeout_s: float = 20.0
    """Wall-clock limit for decoding + extracting + normalising one document."""
    favor_precision: bool = False
    favor_recall: bool = False


@dataclass(frozen=True)
class BoilerplateSettings:
    """Lines learned as boilerplate because they recur across documents of one site."""

    min_docs: int = 5
    """A line must appear in at least this many distinct documents of the site..."""
    min_share: float = 0.2
    """...and in at least this share of the site's documents."""
    max_words: int = 15
    """Longer lines are never treated as boilerplate (they are content, even when copied)."""
