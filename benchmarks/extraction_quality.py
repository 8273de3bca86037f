"""Extraction quality on trafilatura's evaluation set: plain trafilatura vs pressroom, side by side.

The corpus folder holds ``annotations.json`` (page URL -> ``file``, ``with`` and ``without``
snippets) and ``html/<file>.gz``. Scoring mirrors trafilatura's ``tests/eval_common.py``: per page,
each ``with`` snippet found in the output is a true positive (else a false negative), each
``without`` snippet found is a false positive (else a true negative); whitespace runs are collapsed
before substring matching, and a crash or an empty result counts as finding nothing.

For a fair comparison both outputs and all snippets also go through pressroom's own
``normalize_text`` (ftfy, NFC, odd spaces) before matching, since pressroom applies it to its
output. ``--matching raw`` turns that off (whitespace collapsing only, exactly as trafilatura).

    .venv/bin/python benchmarks/extraction_quality.py [--limit N] [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import trafilatura

from pressroom.repair import normalize_text
from pressroom.schemas import RawDocument, StageError
from pressroom.stages.extract import process_document

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "dev-corpus" / "extraction"

# trafilatura's canonical evaluation settings (tests/eval_common.py EXTRACT_OPTS, runner "fallback")
TRAFILATURA_OPTS = {
    "fast": False,
    "include_comments": False,
    "include_tables": True,
    "include_formatting": False,
}


@dataclass
class Score:
    """Confusion counts of one system over the pages, with its extraction time."""

    pages: int = 0
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    empty: int = 0
    errors: int = 0
    seconds: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    def add(self, tp: int, fp: int, tn: int, fn: int) -> None:
        self.pages += 1
        self.tp += tp
        self.fp += fp
        self.tn += tn
        self.fn += fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.tn + self.fn
        return (self.tp + self.tn) / total if total else 0.0

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "accuracy": self.accuracy,
        }


def collapse(text: str) -> str:
    """Whitespace runs to one space, as trafilatura's ``norm``."""
    return re.sub(r"\s+", " ", text).strip()


def fair(text: str) -> str:
    """pressroom's normalisation, then whitespace collapsing."""
    return collapse(normalize_text(text))


def count(item: dict, output: str | None, canon: Callable[[str], str]) -> tuple[int, int, int, int]:
    """(tp, fp, tn, fn) of one page, by substring matching of canonicalised snippets."""
    text = canon(output) if output else ""
    tp = sum(1 for snippet in item["with"] if canon(snippet) in text) if text else 0
    fp = sum(1 for snippet in item["without"] if canon(snippet) in text) if text else 0
    return tp, fp, len(item["without"]) - fp, len(item["with"]) - tp


def run_trafilatura(content: bytes, path: Path, url: str) -> str | None:
    return trafilatura.extract(content, **TRAFILATURA_OPTS)


def run_pressroom(content: bytes, path: Path, url: str) -> str | None:
    raw = RawDocument(
        source_uri=str(path), content=content, media_type="html", raw_path=str(path), url=url
    )
    try:
        return process_document(raw).text
    except StageError:
        return None  # no article found or undecodable: pressroom quarantines the page


SYSTEMS: dict[str, Callable[[bytes, Path, str], str | None]] = {
    "trafilatura": run_trafilatura,
    "pressroom": run_pressroom,
}


def evaluate(corpus: Path, limit: int | None, canon: Callable[[str], str]) -> dict[str, Score]:
    annotations = json.loads((corpus / "annotations.json").read_text(encoding="utf-8"))
    items = list(annotations.items())[:limit]
    scores = {name: Score() for name in SYSTEMS}
    for system in SYSTEMS.values():  # warm up lazy imports before timing
        system(b"<html><body><p>warm up</p></body></html>", corpus, "http://example.org/")
    for done, (url, item) in enumerate(items, 1):
        path = corpus / "html" / f"{item['file']}.gz"
        content = gzip.decompress(path.read_bytes())
        for name, system in SYSTEMS.items():
            score = scores[name]
            start = time.perf_counter()
            try:
                output = system(content, path, url)
            except Exception as error:  # a crash is a full miss, as in trafilatura's evaluation
                output = None
                score.errors += 1
                if len(score.error_samples) < 5:
                    score.error_samples.append(f"{item['file']}: {error!r}")
                    traceback.print_exc()
            score.seconds += time.perf_counter() - start
            score.empty += not output
            score.add(*count(item, output, canon))
        if done % 100 == 0:
            print(f"{done}/{len(items)} pages", file=sys.stderr)
    return scores


def print_table(scores: dict[str, Score]) -> None:
    header = (
        "system",
        "pages",
        "TP",
        "FP",
        "TN",
        "FN",
        "precision",
        "recall",
        "F1",
        "accuracy",
        "empty",
        "errors",
        "seconds",
    )
    rows = [
        (
            name,
            s.pages,
            s.tp,
            s.fp,
            s.tn,
            s.fn,
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
            f"{s.accuracy:.3f}",
            s.empty,
            s.errors,
            f"{s.seconds:.1f}",
        )
        for name, s in scores.items()
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="folder with annotations.json and html/ (default: %(default)s)",
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N annotated pages")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--matching",
        choices=("fair", "raw"),
        default="fair",
        help="fair: pressroom's normalisation + whitespace collapsing on both "
        "outputs and snippets; raw: whitespace collapsing only",
    )
    args = parser.parse_args(argv)

    canon = fair if args.matching == "fair" else collapse
    scores = evaluate(args.corpus, args.limit, canon)
    print_table(scores)
    if args.json:
        report = {
            "corpus": str(args.corpus),
            "matching": args.matching,
            "trafilatura_version": trafilatura.__version__,
            "trafilatura_options": TRAFILATURA_OPTS,
            "systems": {name: score.as_dict() for name, score in scores.items()},
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
