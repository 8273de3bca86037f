"""Group-wise cross-validation of the inverse-spinner table inside the development half.

The development figures of ``real_spin.py`` are in-sample for the table's real-page pairs (the
table is built from those very pages). To choose settings that generalise without looking at the
test half, the development groups with spun pages are split into two folds balanced on spun
pages (largest group first, into the fold with fewer pages); for each fold the table is built by
``tools/build_spin_table.py``'s ``build`` from the other fold's real pages only and the fold is
scored with ``real_spin.py``'s functions. Negatives: the fold's originals and every development
clean and paraphrase page. Test rows are never read.

Run from the project root (about a minute per setting):

    .venv/bin/python benchmarks/spin_cv.py [table_min_support=1,table_margin=3.0 ...]

Each argument is one setting to score: comma-separated ``SpinSettings`` fields (none: the
defaults).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import real_spin
from real_spin import Half, Page, ratio, score_negative, score_spun

sys.path.insert(0, str(real_spin.REPO_ROOT / "tools"))
import build_spin_table

from pressroom.repair import repair_text
from pressroom.repair.lexicon import InverseTable, read_table
from pressroom.settings import SpinSettings

NEGATIVES = ("clean", "paraphrase", "paraphrase_original")
"""Roles scored as negatives in both folds (a fold's own originals are negatives too)."""


def folds(pages: list[Page]) -> list[set[str]]:
    """Two sets of development groups with about as many spun pages each."""
    spun = [p.pair for p in pages if p.role == "spun"]
    sizes = {group: spun.count(group) for group in set(spun)}
    halves: list[set[str]] = [set(), set()]
    for group in sorted(sizes, key=lambda g: (-sizes[g], g)):
        smaller = min((0, 1), key=lambda k: (sum(sizes[g] for g in halves[k]), k))
        halves[smaller].add(group)
    return halves


def fold_table(train: set[str], folder: Path) -> InverseTable:
    """The inverse-spinner table built with the real pages of the ``train`` groups only."""
    table, _ = build_spin_table.build(
        build_spin_table.PPS, build_spin_table.MANIFEST, build_spin_table.CURATION, frozenset(train)
    )
    path = folder / f"table-{len(train)}-{abs(hash(frozenset(train)))}.tsv"
    build_spin_table.write(table, build_spin_table.moby_related(), path)
    return InverseTable(read_table(path))


def score(pages: list[Page], settings: SpinSettings, tables: list[InverseTable]) -> Half:
    """Both folds, each scored with the table built from the other one, summed."""
    halves = folds(pages)
    originals = real_spin.originals_by_pair(pages)
    total = Half()
    for fold, table in zip(halves, tables, strict=True):

        def repair(text: str, table: InverseTable = table) -> real_spin.Timed:
            return repair_text(text, "en", settings=settings, table=table), 0.0

        for page in pages:
            if page.role == "spun" and page.pair in fold:
                score_spun(page, originals[page.pair], total, repair)
            elif page.role in NEGATIVES or (page.role == "original" and page.pair in fold):
                score_negative(page, total, repair)
    return total


def main(arguments: list[str]) -> None:
    pages = [p for p in real_spin.read_manifest() if p.split == "dev"]
    halves = folds(pages)
    print("folds:", [sorted(fold) for fold in halves])
    with tempfile.TemporaryDirectory() as folder:
        tables = [fold_table(halves[1 - k], Path(folder)) for k in (0, 1)]
        for argument in arguments or [""]:
            fields = dict(item.split("=") for item in argument.split(",") if item)
            defaults = SpinSettings()
            settings = replace(
                defaults, **{k: type(getattr(defaults, k))(v) for k, v in fields.items()}
            )
            total = score(pages, settings, tables)
            print(
                f"{argument or 'defaults':<40} restored {ratio(total.restored_output, total.gold)}"
                f"  precision {ratio(total.correct_output, total.system)}"
                f"  false edits {len(total.edit_list)}"
                f"  detected {total.spun_detected}/{total.spun_pages}"
                f"  negatives judged spun {total.false_positives}/{total.negatives}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
