"""Every tunable of a run, gathered in one place with its default.

The defaults are the ones documented (and measured) in ``docs/defaults.md``.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ReadSettings:
    """Limits applied while reading raw input."""

    max_bytes: int = 20_000_000
    """Raw pages larger than this (after decompression) are quarantined, not parsed."""


@dataclass(frozen=True)
class FetchSettings:
    """Fetching pages, feeds and sitemaps from the web, politely (see docs/fetching.md)."""

    batch_size: int = 50
    """URLs per fetch task; a task fetches from one host, and one host's tasks run in turn."""
    batches_ahead: int = 4
    """Fetch tasks of one host started at once (each waits for the one before); its further
    batches start as these finish, so a long run holds few task runs and threads at a time."""
    user_agent: str = "pressroom/0.1 (press-release pipeline; +https://example.org/pressroom)"
    """Sent with every request and matched against robots.txt groups (as "pressroom")."""
    per_host_concurrency: int = 2
    """Requests in flight to one host at once."""
    per_host_delay_s: float = 0.25
    """Minimum time between the starts of two requests to one host (robots.txt Crawl-delay wins
    when larger)."""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    """Longest wait for the next bytes of a response."""
    total_timeout_s: float = 60.0
    """Longest time for one attempt, from connecting to the last byte."""
    max_bytes: int = 20_000_000
    """Largest body accepted, after decompression (so a gzip bomb stops here)."""
    max_redirects: int = 5
    retries: int = 3
    """Further attempts after a timeout, connection error, 429 or 5xx."""
    backoff_s: float = 1.0
    """First retry delay; doubled at each attempt, with jitter (0.5x to 1.5x)."""
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 120.0
    """A longer Retry-After gives up on the URL instead of waiting."""
    respect_robots: bool = True
    allow_private: bool = False
    """Allow hosts on private, loopback, link-local and metadata addresses (tests, intranets)."""


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


@dataclass(frozen=True)
class DedupSettings:
    """Exact and near-duplicate detection (see docs/defaults.md for the measurements)."""

    threshold: float = 0.45
    """Estimated Jaccard similarity of word shingles at which two documents are near-duplicates."""
    shingle_size: int = 3
    """Words per shingle."""
    num_perm: int = 256
    """MinHash permutations."""
    seed: int = 1


@dataclass(frozen=True)
class SpinSettings:
    """Detecting and restoring spun text (see docs/spin.md for the measurements)."""

    min_signatures: float = 2.0
    """Distinct strong lexicon hits a document needs before it can count as spun, each weighed
    by its rarity in clean English (``common_weight``)."""
    common_count: int = 10_000_000
    """Web count above which a hit's spun wording is common in clean English."""
    common_weight: float = 0.5
    """Evidence a strong hit with common spun wording gives (a rare one gives 1)."""
    threshold: float = 0.3
    """``spin_score`` from which a document is spun: 0.5 is one signature per 100 words, 0.3 one
    per 233 (measured in docs/spin.md)."""
    swap_weight: float = 0.25
    """Evidence of one swap-kind lexicon hit, relative to a signature."""
    min_words: int = 100
    """Short texts are scored as if they had this many words."""
    context_ratio: float = 3.0
    """A swap is left alone (and flagged) when its neighbouring words go this many times better
    with the spun wording than with the original (web bigram counts)."""
    collocation_ratio: float = 3.0
    """A swap whose neighbours go this many times better with the original is an improbable
    collocation: evidence like a signature, and restored in a spun text."""
    restore_plain_swaps: bool = True
    """In a spun text, restore swaps whose context decides nothing (else flag them)."""
    reference_similarity: float = 0.5
    """Share of words a spun copy must align with a clean document to be restored from it."""
    candidate_ratio: float = 30.0
    """A thesaurus candidate replaces a word when, at every occurrence, the neighbouring words go
    this many times better with it than with the word (web bigram association)."""
    candidate_max_count: int = 30_000_000
    """Words more common than this (web count) are never replaced by a thesaurus candidate."""
    candidate_frequency: float = 5.0
    """A thesaurus candidate must be at least this many times more common than the word."""
    context_words: int = 500_000
    """Words of the dataset's clean English text (this chunk's first, then earlier canonicals)
    that the language model is adapted to before a spun document's second repair pass; 0 turns
    the pass off (measured in docs/spin.md)."""
    table_window: int = 2
    """Words of context either side of a span that the inverse-spinner table tier scores."""
    table_margin: float = 2.5
    """A table candidate replaces a span when its score (log10: language model, plus priors)
    beats keeping the span by this much (2.0 restores more of the real development pages,
    0.175 against 0.150, at lower precision on the simulated set, 0.939 against 0.946:
    precision first)."""
    table_common_margin: float = 1.5
    """Added to ``table_margin`` for a one-word span more common than ``candidate_max_count``
    (web count): common words are mostly the author's own ("point", "help"); not added when
    the best candidate's pair is curated (a lexicon entry or a curated force: "stated")."""
    table_gap: float = 1.0
    """... and beats every other candidate for the span by this much (else the span is
    flagged: "nonetheless" may stand for "still" or "however")."""
    table_flag: float = 0.5
    """A best candidate beating the span by this much, but not clearly, is flagged."""
    table_repeat_margin: float = 0.5
    """Another occurrence of a span the table tier clearly restored takes the same original when
    it is that occurrence's best candidate too, beating keeping by this much (the spinner
    replaces a word the same way throughout a text)."""
    table_prior: float = 0.5
    """Weight of log10(1 + support) of a table pair in its candidate's score."""
    table_determinism: float = 1.0
    """Score added to every candidate of a span that is itself a word the spinner replaces."""
    table_min_support: int = 4
    """Table pairs with less support (see ``table_strong_support``) are not candidates."""
    table_frequency: float = 2.0
    """A one-word table candidate must be this many times more common (web count) than the
    spun word, unless the spun word is itself one the spinner replaces."""
    table_survivor_penalty: float = 1.0
    """Score taken from a candidate that the text also uses unchanged elsewhere (the spinner
    evidently left it alone there)."""
    table_evidence: int = 3
    """A text one strong lexicon hit short of spun is spun when the inverse-spinner table
    restores this many distinct spans of it with a clear margin (``table_confirm_margin``)."""
    table_confirm_margin: float = 2.5
    """The ``table_margin`` a table restoration must clear to count as detection evidence
    (stricter than restoring in a text already judged spun)."""
    table_alone_evidence: int = 3
    """A text with no lexicon evidence is spun when the table restores this many distinct spans
    of it with the confirmation margin ..."""
    table_alone_density: float = 0.75
    """... at this many distinct spans per 100 words (clean pages of the development data: at
    most 0.4; spun pages from 0.98)."""
    table_strong_support: int = 5
    """Support (PPS phrases; a lexicon entry counts 5, a real spun page 2) from which the
    spinner is taken to replace a phrase whenever it meets it."""
    timeout_s: float = 60.0
    """Wall-clock limit for repairing one document in a worker process (Unicode and spin; the
    first spun document a worker sees also loads the thesaurus, a few seconds)."""


@dataclass(frozen=True)
class IngestSettings:
    """Everything an ingest run can be told; the Prefect flow's parameters map onto this."""

    read: ReadSettings = field(default_factory=ReadSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    boilerplate: BoilerplateSettings = field(default_factory=BoilerplateSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    spin: SpinSettings = field(default_factory=SpinSettings)
    batch_size: int | None = None
    """Input files per extraction task; None sizes batches so that each worker gets about eight
    (balanced finish) within 10..500 files (Prefect's per-task overhead stays negligible)."""
    chunk_size: int = 20_000
    """Input files (or fetched pages) taken through every stage and written together. A larger
    input is ingested chunk after chunk, each deduplicated against the dataset including the
    chunks before it, so memory stays bounded by the chunk (site boilerplate is learned per
    chunk)."""
    workers: int = os.cpu_count() or 1
    """Sandbox processes working at once: extraction (one batch each), then repair."""
    lock_wait_s: float = 300.0
    """How long a run waits for another run writing the same dataset before it gives up."""

    def batch_size_for(self, files: int) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return max(10, min(500, math.ceil(files / (self.workers * 8))))

    def as_dict(self) -> dict:
        return asdict(self)
