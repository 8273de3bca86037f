"""The spinner lexicon: a curated table of what spinners write and what the release said.

The table lives in ``repair/data/spin_lexicon.tsv`` (see its header for the columns). Entries are
written in base form; plural and verb inflections are generated here with lemminflect, so
"menace -> threat" also restores "menaces -> threats".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

LEXICON_PATH = Path(__file__).parent / "data" / "spin_lexicon.tsv"
KINDS = ("signature", "swap")
INFLECTIONS = {"-": (), "n": ("NNS",), "v": ("VBZ", "VBD", "VBG", "VBN")}
_APOSTROPHE = "['’]"


@dataclass(frozen=True)
class LexiconEntry:
    """One curated substitution, in base form."""

    spun: str
    original: str
    kind: str
    inflect: str = "-"
    line: int = 0

    def forms(self) -> Iterator[tuple[str, str]]:
        """(spun, original) pairs: the entry itself and its inflected forms."""
        yield self.spun, self.original
        for tag in INFLECTIONS[self.inflect]:
            pair = _inflected(self.spun, self.original, tag, first=self.inflect == "v")
            if pair:
                yield pair


@dataclass(frozen=True)
class LexiconMatch:
    start: int
    end: int
    spun: str
    original: str
    entry: LexiconEntry


class Lexicon:
    """Entries plus a matcher that finds their (inflected) spun forms in a text."""

    def __init__(self, entries: Iterable[LexiconEntry]):
        self.entries = tuple(entries)
        self._forms: dict[str, tuple[str, LexiconEntry]] = {}
        for entry in self.entries:
            for spun, original in entry.forms():
                self._forms.setdefault(_key(spun), (original, entry))

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every lower-case word that some entry's spun or original form contains."""
        return frozenset(
            word
            for key, (original, _) in self._forms.items()
            for word in f"{key} {_key(original)}".split()
        )

    def without(self, drop: Callable[[LexiconEntry], bool]) -> Lexicon:
        """A lexicon without the entries ``drop`` selects (for held-out evaluation)."""
        return Lexicon(entry for entry in self.entries if not drop(entry))

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        phrases = sorted(self._forms, key=len, reverse=True)
        alternatives = "|".join(_phrase_pattern(phrase) for phrase in phrases)
        return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w-]|['’]\w\w)", re.IGNORECASE)

    def find(self, text: str) -> Iterator[LexiconMatch]:
        """Non-overlapping matches, leftmost and longest first."""
        for match in self._pattern.finditer(text):
            original, entry = self._forms[_key(match.group())]
            yield LexiconMatch(match.start(), match.end(), match.group(), original, entry)


@cache
def default_lexicon() -> Lexicon:
    """The project's lexicon, loaded once per process."""
    return Lexicon(read_entries(LEXICON_PATH))


def read_entries(path: Path) -> list[LexiconEntry]:
    """The entries of a lexicon file; comment lines start with ``#``."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            (number, row)
            for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1)
            if row and not row[0].startswith("#")
        ]
    header, *body = rows
    if header[1] != ["spun", "original", "kind", "inflect"]:
        raise ValueError(f"{path}:{header[0]}: unexpected header {header[1]}")
    return [LexiconEntry(*row, line=number) for number, row in body]


def check_entries(entries: Iterable[LexiconEntry]) -> list[str]:
    """Problems that make a lexicon unsafe or ambiguous, one line each (empty when clean)."""
    problems = []
    seen: dict[str, LexiconEntry] = {}
    entries = list(entries)
    originals = {_key(entry.original) for entry in entries}
    for entry in entries:
        where = f"line {entry.line} ({entry.spun!r})"
        if entry.kind not in KINDS:
            problems.append(f"{where}: kind must be one of {KINDS}, not {entry.kind!r}")
        if entry.inflect not in INFLECTIONS:
            problems.append(f"{where}: inflect must be one of {tuple(INFLECTIONS)}")
            continue
        if _key(entry.spun) == _key(entry.original):
            problems.append(f"{where}: spun and original are the same")
        if entry.spun != entry.spun.strip() or entry.original != entry.original.strip():
            problems.append(f"{where}: leading or trailing spaces")
        if entry.spun != entry.spun.lower():
            problems.append(f"{where}: write the spun side in lower case (matching ignores case)")
        if _key(entry.spun) in originals and entry.kind == "signature":
            problems.append(f"{where}: a signature must not also be some entry's original")
        for spun, _ in entry.forms():
            earlier = seen.get(_key(spun))
            if earlier and earlier is not entry:
                problems.append(f"{where}: {spun!r} is also produced by line {earlier.line}")
            seen.setdefault(_key(spun), entry)
        if entry.inflect != "-" and len(list(entry.forms())) == 1:
            problems.append(f"{where}: lemminflect has no inflections for it")
    return problems


def _inflected(spun: str, original: str, tag: str, first: bool) -> tuple[str, str] | None:
    from lemminflect import getInflection

    def inflect(phrase: str) -> str | None:
        words = phrase.split(" ")
        index = 0 if first else len(words) - 1
        forms = getInflection(words[index], tag=tag)
        if not forms:
            return None
        words[index] = forms[0]
        return " ".join(words)

    spun_form, original_form = inflect(spun), inflect(original)
    if not spun_form or not original_form or _key(spun_form) == _key(spun):
        return None
    return spun_form, original_form


def _phrase_pattern(phrase: str) -> str:
    parts = (re.escape(word).replace("'", _APOSTROPHE) for word in phrase.split(" "))
    return r"\s+".join(parts)


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().replace("’", "'").split())
