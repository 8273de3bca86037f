"""Machine-paraphrased copies: a release reworded sentence by sentence joins its original.

A paraphrasing tool rewords every sentence (synonyms, reordered clauses, sentences split or
merged), so word shingles and word alignment barely match the original. What it keeps are the
anchors: names, numbers, dates and rare words, in about the same order, and the stems of most
content words. Stored copies are also cut off at different points and a rewriter drops or adds
whole passages, so a pair is measured on what the shorter side holds, not on the whole texts:

- ``containment``: the anchors both texts hold (distinct, each weighted by its rarity) as a
  share of the anchors of the text with fewer (the weighted sum of the smaller side);
- ``order``: the share of those shared anchors that appear in the same order in both (longest
  common subsequence of their first occurrences); reports of one event by different writers
  share names in another order;
- ``ordered``: how many shared anchors that order holds (a short text shares too few);
- ``content``: cosine similarity of content-word stems (function words left out).

Each English canonical's anchors are stored as hashed keys (``paraphrase_keys``, schema 1.5),
so a later run finds an earlier document's candidates by key, with one vectorised pass over that
column, and reads the text of the few candidates only (``dedup.history``).

A verified pair is clustered (``dedup.clusters.merge_clusters``) with ``dup_kind =
"paraphrase"``; neither text is ever rewritten, and the canonical policy (provenance first)
decides which of the two is the original.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from pressroom.dedup.clusters import merge_clusters, paraphrase_order, why_first
from pressroom.dedup.history import Earlier, History
from pressroom.repair.ngrams import web_counts
from pressroom.schemas import ClusterChange, Document
from pressroom.schemas.records import stable_id

ANCHOR_MAX_WEB_COUNT = 5_000_000
"""Lower-case words rarer than this on the web are anchors (as are numbers and names)."""
FUNCTION_WORD_WEB_COUNT = 300_000_000
"""Words more common than this (the, and, which, said...) are left out of content stems."""
STEM_LENGTH = 5
"""Content words are compared by their first letters (a crude stemmer that keeps "vaccine" and
"vaccination", or "children" and "child", together)."""
MIN_ANCHORS = 12
"""Texts with fewer anchors are too short to be matched this way."""
MIN_CONTAINMENT = 0.38
MIN_ORDER = 0.6
MIN_ORDERED = 7
MIN_CONTENT = 0.4
"""Thresholds a pair must all reach. The six real paraphrase pairs of the development half
(``benchmarks/real_spin.py``) score 0.40 to 0.89 (containment), 0.64 to 0.94 (order), 7 to 42
(ordered) and 0.44 to 0.91 (content); the test fixtures 0.75 to 0.98, 0.85 to 0.88, 37 to 41 and
0.58 to 0.65. None of the 27,449 pairs of distinct stories among the seeds, fixtures, release
fixtures, 169 English dev-corpus pages and the development half's pages reaches all four: two
outlets' reports of one event score 0.53 / 0.46 (containment / order), and where order and
content both reach their thresholds containment is at most 0.29."""
NUMBER_WEIGHT, SHORT_NUMBER_WEIGHT = 3.0, 1.5
"""Weight of a number anchor of 3 or more characters (a figure, a year) and of a shorter one."""
MAX_WORD_WEIGHT, MIN_WORD_WEIGHT = 4.0, 0.5
RARITY_SCALE = 50_000_000
"""A word anchor weighs log10(``RARITY_SCALE`` / its web count), within the bounds above."""
CANDIDATES_VERIFIED = 5
MIN_SHARED_KEYS = MIN_ORDERED
"""Anchors (keys) a candidate must share with a text to be verified."""
MAX_KEYS = 64
"""Keys stored per document: its first distinct anchors (the start of a page is what every
stored copy of it keeps)."""
COMMON_ANCHOR_TEXTS = 50
COMMON_ANCHOR_SHARE = 0.02
"""Anchors found in more than this many texts, or this share of them if more, do not propose
candidates (a country's name in every release of its ministry)."""
_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*")
_SENTENCE_START = re.compile(r"(?:[.!?:;\"“”()]|\n)\s*$|^\s*$")
"""What the characters before a word end with when the word starts a sentence or a line."""


@dataclass(frozen=True)
class Fingerprint:
    """What a paraphrase keeps of a text: its anchors in order, and its content-word stems."""

    anchors: tuple[str, ...]
    stems: Counter[str]

    @cached_property
    def distinct(self) -> tuple[str, ...]:
        """The anchors in order of first occurrence."""
        return tuple(dict.fromkeys(self.anchors))

    @cached_property
    def weight(self) -> float:
        return sum(anchor_weight(a) for a in self.distinct)

    @cached_property
    def norm(self) -> float:
        return math.sqrt(sum(n * n for n in self.stems.values()))

    @cached_property
    def keys(self) -> list[int]:
        """The stored keys: hashes of the first ``MAX_KEYS`` distinct anchors."""
        return [anchor_key(a) for a in self.distinct[:MAX_KEYS]]


@dataclass(frozen=True)
class ParaphraseScore:
    containment: float
    order: float
    ordered: int
    content: float

    @property
    def verified(self) -> bool:
        return (
            self.ordered >= MIN_ORDERED
            and self.containment >= MIN_CONTAINMENT
            and self.order >= MIN_ORDER
            and self.content >= MIN_CONTENT
        )

    @property
    def similarity(self) -> float:
        """One figure for the ``similarity`` column: the mean of the three shares."""
        return round((self.containment + self.order + self.content) / 3, 4)


@lru_cache(maxsize=200_000)
def _web_count(word: str) -> int:
    return web_counts().unigram(word)


def anchor_weight(anchor: str) -> float:
    """Numbers weigh most; a word more the rarer it is on the web."""
    if any(c.isdigit() for c in anchor):
        return NUMBER_WEIGHT if len(anchor) >= 3 else SHORT_NUMBER_WEIGHT
    rarity = math.log10(RARITY_SCALE / max(_web_count(anchor), 1))
    return max(MIN_WORD_WEIGHT, min(MAX_WORD_WEIGHT, rarity))


def anchor_key(anchor: str) -> int:
    """A stable signed 64-bit key of an anchor (the same in every process)."""
    digest = hashlib.blake2b(anchor.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _parts(token: str) -> list[str]:
    """The words of a token for matching: a possessive's stem, the parts of a hyphenated word
    ("34-hospital" → 34, hospital); none for a contraction (they're, can't)."""
    token = token.replace("’", "'")
    if token.lower().endswith("'s"):
        token = token[:-2]
    if "'" in token:
        return []
    return [part for part in token.split("-") if part]


def fingerprint(text: str) -> Fingerprint:
    """Anchors (numbers, names not at a sentence start, rare words) in text order, lower-cased,
    and the stems of the other content words."""
    anchors: list[str] = []
    stems: Counter[str] = Counter()
    for match in _TOKEN.finditer(text):
        token = match.group()
        for position, part in enumerate([token] if token.isalnum() else _parts(token)):
            word = part.lower()
            if not word.isalpha() and any(c.isdigit() for c in word):
                anchors.append(word)
            elif len(word) < 3:
                continue
            elif part[0].isupper() and not (position == 0 and _starts_sentence(text, match)):
                anchors.append(word)  # a name
            elif (count := _web_count(word)) < ANCHOR_MAX_WEB_COUNT:
                anchors.append(word)
            elif count < FUNCTION_WORD_WEB_COUNT:
                stems[word[:STEM_LENGTH]] += 1
    return Fingerprint(tuple(anchors), stems)


def _starts_sentence(text: str, match: re.Match[str]) -> bool:
    return _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]) is not None


def _common_subsequence(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of ``a`` and ``b``."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def paraphrase_score(a: Fingerprint, b: Fingerprint) -> ParaphraseScore:
    """How much of the shorter of ``a`` and ``b`` a paraphrase of the other would keep."""
    shared = set(a.distinct) & set(b.distinct)
    smaller = min(a.weight, b.weight)
    containment = sum(anchor_weight(s) for s in shared) / smaller if smaller else 0.0
    ordered = _common_subsequence(
        [x for x in a.distinct if x in shared], [x for x in b.distinct if x in shared]
    )
    order = ordered / len(shared) if shared else 0.0
    dot = sum(n * b.stems[stem] for stem, n in a.stems.items())
    content = dot / (a.norm * b.norm) if a.norm and b.norm else 0.0
    return ParaphraseScore(round(containment, 4), round(order, 4), ordered, round(content, 4))


@dataclass(frozen=True)
class Candidate:
    """A canonical document a paraphrase may be a copy of."""

    doc_id: str
    cluster_id: str
    fingerprint: Fingerprint


class ParaphraseIndex:
    """Fingerprints indexed by their anchors; finds the verified paraphrase match of a text."""

    def __init__(self, candidates: Iterable[Candidate]):
        self.candidates = list(candidates)
        postings: dict[str, list[int]] = defaultdict(list)
        for position, candidate in enumerate(self.candidates):
            for anchor in candidate.fingerprint.distinct:
                postings[anchor].append(position)
        common = max(COMMON_ANCHOR_TEXTS, COMMON_ANCHOR_SHARE * len(self.candidates))
        self._postings = {a: p for a, p in postings.items() if len(p) <= common}

    def best_match(self, found: Candidate) -> tuple[Candidate, ParaphraseScore] | None:
        """The verified candidate of another cluster that scores best with ``found``."""
        if len(found.fingerprint.anchors) < MIN_ANCHORS:
            return None
        shared = Counter(p for a in found.fingerprint.distinct for p in self._postings.get(a, ()))
        others = [
            (count, position)
            for position, count in shared.items()
            if count >= MIN_SHARED_KEYS and self.candidates[position].cluster_id != found.cluster_id
        ]
        return _best_verified(
            found.fingerprint, [self.candidates[p] for _, p in sorted(others, key=_most_shared)]
        )


def _most_shared(item: tuple[int, int]) -> tuple[int, int]:
    return -item[0], item[1]


def _best_verified(
    found: Fingerprint, candidates: Sequence[Candidate]
) -> tuple[Candidate, ParaphraseScore] | None:
    """The best verified of the first ``CANDIDATES_VERIFIED`` candidates."""
    best = None
    for candidate in candidates[:CANDIDATES_VERIFIED]:
        if len(candidate.fingerprint.anchors) < MIN_ANCHORS:
            continue
        score = paraphrase_score(found, candidate.fingerprint)
        if score.verified and (best is None or score.similarity > best[1].similarity):
            best = (candidate, score)
    return best


def earlier_matches(
    found: dict[str, Candidate], history: History, texts: dict[str, str]
) -> dict[str, tuple[Candidate, ParaphraseScore]]:
    """For each run's canonical, its verified match among the dataset's canonicals: candidates
    by their stored keys, then the texts of the candidates only (added to ``texts``),
    verified."""
    queries = {
        cluster_id: [anchor_key(a) for a in candidate.fingerprint.distinct]
        for cluster_id, candidate in found.items()
        if len(candidate.fingerprint.anchors) >= MIN_ANCHORS
    }
    rows = history.paraphrase_candidates(
        queries, MIN_SHARED_KEYS, CANDIDATES_VERIFIED, COMMON_ANCHOR_TEXTS, COMMON_ANCHOR_SHARE
    )
    read = history.texts({e.doc_id for earlier in rows.values() for e in earlier})
    texts.update(read)
    prints = {doc_id: fingerprint(text) for doc_id, text in read.items()}
    matches = {}
    for cluster_id, earlier in rows.items():
        candidates = [
            Candidate(e.doc_id, e.cluster_id, prints[e.doc_id])
            for e in earlier
            if e.doc_id in prints
        ]
        match = _best_verified(found[cluster_id].fingerprint, candidates)
        if match is not None:
            matches[cluster_id] = match
    return matches


def attach_paraphrases(
    docs: Sequence[Document], history: History | None = None
) -> list[ClusterChange]:
    """Cluster machine-paraphrased copies with their original (in place); neither is rewritten.

    Every English canonical of the run gets its ``paraphrase_keys``. The canonical of each
    cluster first made in this run is matched against the other new clusters' canonicals and,
    with ``history``, against the dataset's canonicals (``earlier_matches``). Matched clusters
    are merged, never two earlier ones; the policy (``paraphrase_order``) picks the canonical,
    so a newcomer that ranks first replaces an earlier canonical, and the change is returned.
    """
    run_ids = {doc.doc_id for doc in docs}
    english = [d for d in docs if d.is_canonical and d.language in ("en", None)]
    prints = {d.doc_id: fingerprint(d.text) for d in english}
    for doc in english:
        doc.paraphrase_keys = prints[doc.doc_id].keys
    new = {
        d.cluster_id: Candidate(d.doc_id, d.cluster_id, prints[d.doc_id])
        for d in english
        if d.cluster_id in run_ids
    }
    if not new:
        return []
    index = ParaphraseIndex(new.values())
    edges = []
    for cluster_id, candidate in new.items():
        match = index.best_match(candidate)
        if match is not None:
            edges.append((match[1].similarity, cluster_id, match[0].cluster_id))
    texts = {d.doc_id: d.text for d in docs}
    if history is not None and len(history):
        for cluster_id, (earlier, score) in earlier_matches(new, history, texts).items():
            edges.append((score.similarity, cluster_id, earlier.cluster_id))
    by_id = {d.doc_id: d for d in docs}
    changes = []
    for members, similarity in _groups(sorted(edges, reverse=True), set(new)):
        old = [c for c in members if c not in new]
        current = _current_canonical(docs, old[0], history) if old and history else None
        ranked = [by_id[new[c].doc_id] for c in members if c in new]
        ranked += [current] if current else []
        canonical = min(ranked, key=lambda d: paraphrase_order(d, texts.get(d.doc_id, "")))
        cluster_id = old[0] if old else canonical.cluster_id
        absorbed = members - {cluster_id}
        merge_clusters(docs, cluster_id, canonical, absorbed, "paraphrase", similarity)
        for doc in docs:  # a spun copy the word alignment could not restore
            spun_copy = doc.dup_kind == "paraphrase" and doc.is_spun and not canonical.is_spun
            if spun_copy and doc.cluster_id == cluster_id:
                doc.dup_kind = "spun"
        if current is not None and canonical is not current:
            change_id = stable_id(cluster_id, current.doc_id, canonical.doc_id)
            pair = (texts[canonical.doc_id], texts.get(current.doc_id, ""))
            reason = why_first(canonical, current, pair)
            changes.append(
                ClusterChange(change_id, cluster_id, current.doc_id, canonical.doc_id, reason)
            )
    return changes


def _current_canonical(
    docs: Sequence[Document], cluster_id: str, history: History
) -> Document | Earlier | None:
    """The canonical of an earlier cluster: a newcomer of this run that already replaced it
    (``deduplicate``), else the dataset's."""
    newcomer = next((d for d in docs if d.cluster_id == cluster_id and d.is_canonical), None)
    return newcomer or history.current_canonical(cluster_id)


def _groups(edges: Sequence[tuple[float, str, str]], new: set[str]) -> list[tuple[set[str], float]]:
    """Connected clusters from the matched pairs (best first), with their best score; a group
    holds at most one cluster that is not ``new`` (earlier clusters are never merged)."""
    group_of: dict[str, int] = {}
    groups: list[tuple[set[str], float]] = []
    for similarity, a, b in edges:
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is not None and ga == gb:
            continue
        members = (groups[ga][0] if ga is not None else {a}) | (
            groups[gb][0] if gb is not None else {b}
        )
        if len(members - new) > 1:
            continue
        best = max([similarity] + [groups[g][1] for g in (ga, gb) if g is not None])
        for g in {ga, gb} - {None}:
            groups[g] = (set(), 0.0)
        group_of.update(dict.fromkeys(members, len(groups)))
        groups.append((members, best))
    return [(members, best) for members, best in groups if members]
