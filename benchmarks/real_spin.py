"""Spun-text repair on real pages from the web: spun copies with their originals, clean releases
that use spinner-like wording, and machine-paraphrased copies with their originals.

Data
----
``benchmarks/data/real_spin/manifest.tsv`` lists every page (``pages/<id>.txt``, the page text
as a stored web copy gave it, often cut off at its end) with its ``role``: ``spun`` (a copy run
through a word-level synonym spinner), ``original`` (the article it was spun from), ``clean`` (a
real release that was never spun but uses words a restorer could wrongly "correct"),
``paraphrase`` (a sentence-level machine rewording) or ``paraphrase_original``. ``pair`` joins a
spun or paraphrased page with its original (one group may hold several copies of one original;
an ``original`` also serves as the original of the group's paraphrases). How the pages were
found is in ``docs/spin-evaluation.md``.

Split (fixed before any tuning; tune on ``dev`` only)
-----------------------------------------------------
A page's half is decided by its group: the first 8 hex digits of SHA-256 of ``pair`` (of ``id``
for a clean page) read as a number below 2**32; below half of the range is ``dev``, the rest is
``test``. The rule depends on nothing but the group's own name, so adding pages never moves a
page already listed; the result is written once in the manifest's ``split`` column, which this
script reads (and checks against the rule).

Spun pages: gold substitutions
------------------------------
Both texts go through ``normalize_text`` first (the Unicode repair ``repair_text`` starts with,
so mojibake fixed by it is neither a gold edit nor a system edit), then are compared as
``spin_metrics`` words (lower case, ’ as '). ``difflib`` aligns the
spun page with its original; the aligned region runs from the first to the last matching block
of at least ``MIN_ANCHOR`` words, widened over a short differing run (see below) that has a
matching block of any size beyond it (so "The variety of ..." at the start of a page still
counts), and site furniture and text one copy lacks at either end (pages are cut off at different
points) are left out. Inside the region, every differing run of at most
``MAX_SUBSTITUTION`` words on both sides is a gold substitution; a longer run (a reworded
sentence, an inserted "See Also" line) is not a substitution and its span is excluded, and so is
a run of numbers only (view counters and other furniture). System
edits are the word runs where ``repair_text(spun, "en")`` differs from the spun page; those
inside the region and outside excluded spans are scored.

Two scorings are printed. The headline one is **output-based** (``spin_metrics.
OutputAlignment``): the repaired page is aligned word by word with the original (``difflib``),
and

- restored: a gold substitution is restored when its original words stand, aligned in one
  piece, at its place in the repaired page (next to the aligned words on either side; for a
  deletion, its two neighbours are adjacent), over all gold substitutions;
- edit precision: a system edit is right when the words it wrote are aligned, in one piece, with
  the original's words at that place (a deletion: its neighbours end up adjacent in the
  original), over all scored system edits.

It does not depend on where edit boundaries fall: the gold run "local weather fashions" →
"climate models" restored by two system edits ("local weather" → "climate", "fashions" →
"models") counts as restored, with both edits right; the exact scoring below counts it as one
miss and two wrong edits. The missed and wrong lists at the end use the output-based rule.

The second, **edit-exact** scoring (as in ``spin_metrics``) is kept on the lines below it:

- restored (edit-exact): gold substitutions the system made exactly (same span, same
  replacement words), over all gold substitutions;
- edit precision (edit-exact): system edits equal to a gold substitution, over all scored system
  edits;
- edits consistent with the original: system edits inside one gold substitution whose words
  stand, in order, in its original wording ("p c" → "percent" inside "p c through" → "percent
  during"), over all scored system edits: edit precision with partial restorations counted;
- substitutions left: the gold substitutions found again (same rule) between the repaired page
  and the original, over the gold substitutions before repair; unlike the exact share, a partly
  restored run ("p c through" → "percent" where the original says "percent during") counts as
  one left, not as one missed plus one wrong edit;
- detection: ``is_spun`` on spun pages (positives) and on originals, clean pages and paraphrases
  (negatives);
- false edits: every repair with ``method != "unicode"`` on a page that is not spun, counted per
  10,000 words and listed;
- paraphrase pairs: each half's pairs go in as a crawl would give them, so that the canonical
  choice can see provenance: one WARC file of ``response`` records written by pressroom's own
  archive writer (``web.archive.write_warc``), one per page, whose ``WARC-Target-URI`` is the
  page's URL and whose body is an HTML page (``Content-Type: text/html``, a ``<link
  rel="canonical">`` to the same URL) with the stored text as the article's paragraphs. The file
  goes through one ``pressroom ingest`` run (the CLI, Prefect ephemeral mode, a private
  ``PREFECT_HOME``) into a temporary dataset; the documents table says whether the two landed in
  one cluster, which is canonical, their ``dup_kind`` and the non-unicode repairs on each;
- "beside": each figure again with the page repaired as a run repairs it beside a dataset (the
  second pass of ``pressroom.stages.repair.repair_spun_in_context``: a page judged spun is
  repaired again with the language model adapted to the dataset's clean English text), the
  dataset being the clean
  pages (originals, clean releases, paraphrase pages) of the half's other groups;
- time: ``repair_text`` wall time per spun page (after a warm-up call), and the process's peak
  resident memory (``ru_maxrss``) after all repairs.

Run from the project root (one to two minutes on 2 cores, most of it the two ingest runs):

    .venv/bin/python benchmarks/real_spin.py [--split dev|test|all] [--no-ingest]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import partial
from pathlib import Path

from spin_metrics import EditKey, OutputAlignment, spin_edits, words

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pressroom.dataset import Dataset  # noqa: E402
from pressroom.repair import RepairedText, normalize_text, repair_text, warm_up  # noqa: E402
from pressroom.repair.language_model import default_language_model  # noqa: E402
from pressroom.web.archive import write_warc  # noqa: E402
from pressroom.web.fetcher import FetchResult  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "real_spin"
MANIFEST = DATA / "manifest.tsv"
PAGES = DATA / "pages"
ROLES = ("spun", "original", "clean", "paraphrase", "paraphrase_original")
SPLITS = ("dev", "test")
MIN_ANCHOR = 3
MAX_SUBSTITUTION = 6
PRESSROOM = REPO_ROOT / ".venv" / "bin" / "pressroom"


@dataclass(frozen=True)
class Page:
    id: str
    role: str
    pair: str
    site: str
    subject: str
    url: str
    split: str
    notes: str

    @property
    def text(self) -> str:
        return (PAGES / f"{self.id}.txt").read_text(encoding="utf-8")


def split_of(group: str) -> str:
    """The half a group belongs to (the rule the manifest was written with)."""
    position = int(hashlib.sha256(group.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    return "dev" if position < 0.5 else "test"


def read_manifest(path: Path = MANIFEST) -> list[Page]:
    """Every page of the manifest; raises when a row breaks the split rule or lacks its file, or
    when two rows share a URL (the paraphrase ingest finds pages by URL)."""
    with path.open(encoding="utf-8", newline="") as handle:
        pages = [Page(**row) for row in csv.DictReader(handle, delimiter="\t")]
    for page in pages:
        if page.role not in ROLES:
            raise ValueError(f"{page.id}: unknown role {page.role!r}")
        if page.split != split_of(page.pair or page.id):
            raise ValueError(f"{page.id}: split {page.split!r} breaks the rule")
        if not (PAGES / f"{page.id}.txt").is_file():
            raise ValueError(f"{page.id}: no page file")
    if len({p.url for p in pages}) != len(pages):
        raise ValueError("two pages share a URL")
    return pages


def originals_by_pair(pages: Iterable[Page]) -> dict[str, Page]:
    """The original of each group (role ``original`` or ``paraphrase_original``)."""
    return {p.pair: p for p in pages if p.role in ("original", "paraphrase_original")}


# --- gold substitutions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Alignment:
    """Gold substitutions of a spun page, and the parts of it that are not scored."""

    gold: frozenset[EditKey]
    start: int
    end: int
    excluded: tuple[tuple[int, int], ...]
    places: tuple[tuple[EditKey, tuple[int, int]], ...] = ()
    """Each gold substitution with its span in the original's words."""

    def consistent(self, edit: EditKey) -> bool:
        """Whether a system edit lies inside one gold substitution and writes words that stand,
        in that order, in the substitution's original wording (an exact or partial restoration)."""
        start, end, after = edit
        n = len(after)
        return any(
            low <= start
            and end <= high
            and any(gold[i : i + n] == after for i in range(len(gold) - n + 1))
            for low, high, gold in self.gold
        )

    def scores(self, edit: EditKey) -> bool:
        """Whether a system edit falls in the scored part of the spun page."""
        low, high = edit[0], max(edit[1], edit[0] + 1)
        if low < self.start or high > self.end:
            return False
        return not any(a < high and low < max(b, a + 1) for a, b in self.excluded)


def align(spun: list[str], original: list[str]) -> Alignment:
    """Gold substitutions between spun and original words (rule in the module docstring)."""
    ops = SequenceMatcher(None, spun, original, autojunk=False).get_opcodes()
    anchors = [i for i, op in enumerate(ops) if op[0] == "equal" and op[2] - op[1] >= MIN_ANCHOR]
    if not anchors:
        return Alignment(frozenset(), 0, 0, ())
    first, last = anchors[0], anchors[-1]
    while first >= 2 and _short(ops[first - 1]) and ops[first - 2][0] == "equal":
        first -= 2
    while last + 2 < len(ops) and _short(ops[last + 1]) and ops[last + 2][0] == "equal":
        last += 2
    places, excluded = {}, []
    for tag, i1, i2, j1, j2 in ops[first : last + 1]:
        if tag == "equal":
            continue
        if _short((tag, i1, i2, j1, j2)) and not all(
            w.isdigit() for w in spun[i1:i2] + original[j1:j2]
        ):
            places[i1, i2, tuple(original[j1:j2])] = (j1, j2)
        else:
            excluded.append((i1, i2))
    return Alignment(
        frozenset(places), ops[first][1], ops[last][2], tuple(excluded), tuple(places.items())
    )


def _short(op: tuple[str, int, int, int, int]) -> bool:
    """A differing run of at most ``MAX_SUBSTITUTION`` words on both sides."""
    tag, i1, i2, j1, j2 = op
    return tag != "equal" and max(i2 - i1, j2 - j1) <= MAX_SUBSTITUTION


# --- running the system ------------------------------------------------------------------------


@dataclass
class Half:
    """Figures of one half of the set."""

    gold: int = 0
    restored: int = 0
    restored_output: int = 0
    correct_output: int = 0
    left: int = 0
    system: int = 0
    consistent: int = 0
    spun_pages: int = 0
    spun_detected: int = 0
    negatives: int = 0
    false_positives: int = 0
    words: dict[str, int] = field(default_factory=dict)
    false_edits: dict[str, int] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    edit_list: list[str] = field(default_factory=list)
    per_page: list[str] = field(default_factory=list)


Timed = tuple[RepairedText, float]
"""A repair result and the seconds it took."""


def timed_repair(text: str, dataset: Iterable[str] = ()) -> Timed:
    """``repair_text`` as a run does it: a text judged spun is repaired again with the language
    model adapted to the ``dataset``'s clean texts
    (``pressroom.stages.repair.repair_spun_in_context``)."""
    started = time.perf_counter()
    result = repair_text(text, "en")
    if result.is_spun and dataset:
        model = default_language_model().adapted(dataset)
        result = repair_text(text, "en", model=model)
    return result, time.perf_counter() - started


def beside(page: Page, pages: Iterable[Page]) -> Callable[[str], Timed]:
    """Repair ``page`` beside a dataset holding the clean pages (originals, clean releases and
    paraphrase pages) of its half's other groups."""
    group = page.pair or page.id
    dataset = [p.text for p in pages if p.role != "spun" and (p.pair or p.id) != group]
    return partial(timed_repair, dataset=dataset)


def score_spun(
    page: Page, original: Page, half: Half, repair: Callable[[str], Timed] = timed_repair
) -> None:
    """Add one spun page's substitutions, edits and detection to ``half``."""
    result, seconds = repair(page.text)
    half.times.append(seconds)
    source, target = words(normalize_text(page.text)), words(normalize_text(original.text))
    repaired = words(result.text)
    alignment = align(source, target)
    placed = {e: r for e, r in system_edits(source, repaired).items() if alignment.scores(e)}
    system = set(placed)
    hits = alignment.gold & system
    left = align(repaired, target).gold
    output = OutputAlignment(repaired, target)
    restored = {g for g, (j1, j2) in alignment.places if output.restored(j1, j2)}
    correct = {e for e, (r1, r2) in placed.items() if output.correct(r1, r2)}
    half.gold += len(alignment.gold)
    half.left += len(left)
    half.restored += len(hits)
    half.restored_output += len(restored)
    half.correct_output += len(correct)
    half.system += len(system)
    half.consistent += sum(alignment.consistent(e) for e in system)
    half.spun_pages += 1
    half.spun_detected += result.is_spun
    half.per_page.append(
        f"{page.id}: is_spun={result.is_spun} score={result.spin_score:.2f} "
        f"restored {len(restored)}/{len(alignment.gold)} (exact {len(hits)}), "
        f"edits right {len(correct)}/{len(system)} (exact {len(hits)}), "
        f"substitutions left {len(left)}"
    )
    for edit in sorted(alignment.gold - restored):
        near = [e for e in system if edit[0] <= e[0] < max(edit[1], edit[0] + 1)]
        got = " | ".join(" ".join(e[2]) for e in near) or "unchanged"
        half.missed.append(f"{_span(edit, source)} → {' '.join(edit[2])}  [got: {got}]")
    for edit in sorted(system - correct):
        half.wrong.append(f"{_span(edit, source)} → {' '.join(edit[2]) or '∅'}  [{page.id}]")


def system_edits(source: list[str], repaired: list[str]) -> dict[EditKey, tuple[int, int]]:
    """The word-level edits turning ``source`` into ``repaired`` (spans in ``source``, as
    ``spin_metrics.edits``), each with the span of the words it wrote in ``repaired``."""
    matcher = SequenceMatcher(None, source, repaired, autojunk=False)
    return {
        (i1, i2, tuple(repaired[r1:r2])): (r1, r2)
        for tag, i1, i2, r1, r2 in matcher.get_opcodes()
        if tag != "equal"
    }


def _span(edit: EditKey, source: list[str]) -> str:
    return " ".join(source[edit[0] : edit[1]]) or "∅"


def score_negative(page: Page, half: Half, repair: Callable[[str], Timed] = timed_repair) -> None:
    """Add one page that is not spun: detection and false edits."""
    result, _ = repair(page.text)
    half.negatives += 1
    half.false_positives += result.is_spun
    half.words[page.role] = half.words.get(page.role, 0) + len(words(page.text))
    found = spin_edits(result.repairs)
    half.false_edits[page.role] = half.false_edits.get(page.role, 0) + len(found)
    half.edit_list += [
        f"{before!r} → {after!r}  [{page.role} {page.id}]" for before, after in found
    ]


# --- paraphrase pairs through the pipeline -----------------------------------------------------


@dataclass(frozen=True)
class PairOutcome:
    pair: str
    clustered: bool
    original_canonical: bool
    edits_original: int
    edits_copy: int
    dup_kinds: str


def html_page(url: str, text: str) -> str:
    """A page as its site would serve it: ``url`` as the canonical link, ``text`` as the article's
    paragraphs (one per non-empty line)."""
    paragraphs = "\n".join(
        f"<p>{html.escape(line.strip())}</p>" for line in text.splitlines() if line.strip()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<link rel="canonical" href="{html.escape(url, quote=True)}"></head>\n'
        f"<body><article>\n{paragraphs}\n</article></body></html>\n"
    )


def crawl_record(url: str, text: str) -> FetchResult:
    """The response a crawler fetching ``url`` would have archived for a page showing ``text``."""
    return FetchResult(
        url=url,
        final_url=url,
        status=200,
        headers=[("Content-Type", "text/html; charset=utf-8")],
        body=html_page(url, text).encode("utf-8"),
    )


def ingest_pairs(pairs: list[tuple[Page, Page]], workdir: Path) -> list[PairOutcome]:
    """Ingest every (original, paraphrase) pair, as WARC records of their URLs, in one
    ``pressroom ingest`` run; read the outcome back."""
    inbox, out = workdir / "inbox", workdir / "out"
    inbox.mkdir(parents=True)
    records = [crawl_record(p.url, p.text) for pair in pairs for p in pair]
    write_warc(inbox / "pages.warc.gz", records)
    env = {**os.environ, "PREFECT_HOME": str(workdir / "prefect"), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("PREFECT_API_URL", None)
    command = [str(PRESSROOM), "ingest", str(inbox), "--out", str(out), "--no-progress"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"pressroom ingest failed ({run.returncode}): {run.stderr[-2000:]}")
    columns = ["doc_id", "source_uri", "cluster_id", "is_canonical", "dup_kind", "repairs"]
    rows = {r["source_uri"]: r for r in Dataset(out).read_documents(columns).to_pylist()}
    outcomes = []
    for original, copy in pairs:
        first, second = rows.get(original.url), rows.get(copy.url)
        if first is None or second is None:
            outcomes.append(PairOutcome(original.pair, False, False, -1, -1, "missing row"))
            continue
        outcomes.append(
            PairOutcome(
                pair=original.pair,
                clustered=first["cluster_id"] == second["cluster_id"],
                original_canonical=first["cluster_id"] == second["cluster_id"]
                and bool(first["is_canonical"]),
                edits_original=_word_repairs(first),
                edits_copy=_word_repairs(second),
                dup_kinds=f"{first['dup_kind']}/{second['dup_kind']}",
            )
        )
    return outcomes


def _word_repairs(row: dict) -> int:
    return sum(1 for r in row["repairs"] or [] if r["method"] != "unicode")


# --- report ------------------------------------------------------------------------------------


def ratio(part: float, whole: float) -> str:
    return f"{part / whole:.3f} ({part}/{whole})" if whole else "n/a"


def per_10k(edits_: int, words_: int) -> str:
    return f"{10_000 * edits_ / words_:.2f} ({edits_} in {words_} w)" if words_ else "n/a"


def row(label: str, values: Iterable[str]) -> None:
    print(f"  {label:<38}" + "".join(f"{v:>30}" for v in values))


def report_sizes(pages: list[Page], halves: tuple[str, ...]) -> None:
    print("\nSplit sizes (pages; groups)")
    row("", halves)
    for role in ROLES:
        cells = []
        for half in halves:
            chosen = [p for p in pages if p.role == role and p.split == half]
            groups = {p.pair or p.id for p in chosen}
            cells.append(f"{len(chosen)} pages; {len(groups)} groups")
        row(role, cells)
    sites = {p.site for p in pages}
    subjects = {p.subject for p in pages}
    print(f"  {len(pages)} pages from {len(sites)} sites; subjects: {', '.join(sorted(subjects))}")


def report(halves: dict[str, Half], outcomes: dict[str, list[PairOutcome] | None]) -> None:
    """Print every figure, the two halves side by side, then the per-page lists."""
    report_spun(halves)
    report_false_edits(halves)
    report_pairs(outcomes, tuple(halves))
    print("\nRepair time per spun page and memory")
    row("", tuple(halves))
    row("mean / max seconds", [_times(h.times) for h in halves.values()])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak resident memory of this process after repairing: {peak:.0f} MiB")
    for half, figures in halves.items():
        print(f"\n[{half}] per spun page")
        for line in figures.per_page:
            print(f"  {line}")
        _print_list(f"[{half}] false edits on text that is not spun", figures.edit_list)
        _print_list(f"[{half}] missed substitutions (spun → original)", figures.missed)
        _print_list(f"[{half}] wrong edits on spun pages (spun → system)", figures.wrong)


def report_spun(halves: dict[str, Half]) -> None:
    figures = halves.values()
    print("\nSpun pages against their originals (output-based: repaired text vs original)")
    row("", tuple(halves))
    row("restored share of substitutions", [ratio(h.restored_output, h.gold) for h in figures])
    row("edit precision", [ratio(h.correct_output, h.system) for h in figures])
    print("  edit-exact (same span and words as the gold substitution):")
    row("restored share (edit-exact)", [ratio(h.restored, h.gold) for h in figures])
    row("edit precision (edit-exact)", [ratio(h.restored, h.system) for h in figures])
    row("edits consistent with the original", [ratio(h.consistent, h.system) for h in figures])
    row("substitutions left after repair", [ratio(h.left, h.gold) for h in figures])
    print("\nDocument detection (spun pages positive; originals, clean, paraphrases negative)")
    row("", tuple(halves))
    row("recall", [ratio(h.spun_detected, h.spun_pages) for h in figures])
    flagged = [(h.spun_detected, h.spun_detected + h.false_positives) for h in figures]
    row("precision", [ratio(right, all_) for right, all_ in flagged])
    row("negatives judged spun", [ratio(h.false_positives, h.negatives) for h in figures])


def report_false_edits(halves: dict[str, Half]) -> None:
    print("\nFalse edits (non-unicode repairs) per 10,000 words on text that is not spun")
    row("", tuple(halves))
    for role in ("clean", "original", "paraphrase", "paraphrase_original"):
        cells = [per_10k(h.false_edits.get(role, 0), h.words.get(role, 0)) for h in halves.values()]
        if any(cell != "n/a" for cell in cells):
            row(role, cells)


def report_pairs(outcomes: dict[str, list[PairOutcome] | None], names: tuple[str, ...]) -> None:
    print("\nParaphrase pairs through `pressroom ingest` (WARC records of their URLs, one run)")
    row("", names)
    for label, figure in (
        ("clustered together", lambda found: ratio(sum(o.clustered for o in found), len(found))),
        (
            "one cluster, original canonical",
            lambda found: ratio(sum(o.original_canonical for o in found), len(found)),
        ),
        ("edits on originals", lambda found: str(sum(max(0, o.edits_original) for o in found))),
        ("edits on copies", lambda found: str(sum(max(0, o.edits_copy) for o in found))),
    ):
        row(label, ["not run" if outcomes.get(n) is None else figure(outcomes[n]) for n in names])
    for half in names:
        for outcome in outcomes.get(half) or []:
            print(f"    {half}: {outcome}")


def _times(times: list[float]) -> str:
    return f"{sum(times) / len(times):.3f} / {max(times):.3f}" if times else "n/a"


def _print_list(title: str, lines: list[str]) -> None:
    print(f"\n{title}: {len(lines)}")
    for line in lines:
        print(f"  {line}")


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--no-ingest", action="store_true", help="skip the paraphrase ingest runs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pages = read_manifest()
    names = SPLITS if args.split == "all" else (args.split,)
    originals = originals_by_pair(pages)
    warm_up()
    repair_text("warm up: the usage of Info and Communications Expertise in the present day", "en")
    halves = {name: Half() for name in names}
    halves |= {f"{name}, beside": Half() for name in names}
    outcomes: dict[str, list[PairOutcome] | None] = {}
    for name in names:
        half, beside_half = halves[name], halves[f"{name}, beside"]
        in_half = [p for p in pages if p.split == name]
        for page in in_half:
            if page.role == "spun":
                score_spun(page, originals[page.pair], half)
                score_spun(page, originals[page.pair], beside_half, beside(page, in_half))
            else:
                score_negative(page, half)
                score_negative(page, beside_half, beside(page, in_half))
    for name in names:
        pairs = [
            (originals[p.pair], p) for p in pages if p.split == name and p.role == "paraphrase"
        ]
        if args.no_ingest or not pairs:
            outcomes[name] = None if args.no_ingest else []
            continue
        with tempfile.TemporaryDirectory(prefix="real-spin-") as workdir:
            outcomes[name] = ingest_pairs(pairs, Path(workdir))
    print(f"real_spin: {MANIFEST.relative_to(REPO_ROOT)} ({len(pages)} pages)")
    report_sizes(pages, names)
    report(halves, outcomes)
    print(f"\nWall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
