"""The spinner lexicon: a curated table of what spinners write and what the release said.

The table lives in ``pressroom/repair/data/spin_lexicon.tsv`` (see its header for the columns).
Entries are
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
_PHRASE_END = r"(?![\w-]|['’]\w\w)"


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
        """The phrases, longest first; the lookahead (the same phrases as a trie) passes over
        the positions where none matches quickly, without changing what matches."""
        phrases = sorted(self._forms, key=len, reverse=True)
        alternatives = "|".join(_phrase_pattern(phrase) for phrase in phrases)
        return re.compile(
            rf"(?<![\w'’-])(?={_trie_pattern(phrases)}{_PHRASE_END})(?:{alternatives}){_PHRASE_END}",
            re.IGNORECASE,
        )

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


def _trie_pattern(phrases: Iterable[str]) -> str:
    """A pattern matching what one of the ``phrases``' ``_phrase_pattern`` matches, with the
    phrases' common beginnings written once."""
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}  # a phrase ends here
    return _trie_node(trie)


def _trie_node(node: dict[str, dict]) -> str:
    branches = [
        _char_pattern(char) + _trie_node(rest) if char else "" for char, rest in node.items()
    ]
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


def _char_pattern(char: str) -> str:
    """``char`` as ``_phrase_pattern`` writes it (a space between words, an apostrophe)."""
    return r"\s+" if char == " " else _APOSTROPHE if char == "'" else re.escape(char)


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().replace("’", "'").split())


INVERSE_TABLE_PATH = Path(__file__).parent / "data" / "inverse_spinner.tsv"
REAL_NAMES_PATH = Path(__file__).parent / "data" / "real_names.tsv"
LEXICON_WEIGHT = 5
"""Support one curated-lexicon entry gives a pair, in PPS phrases."""
REAL_WEIGHT = 2
"""Support one real spun page gives a pair, in PPS phrases (alignment of real pages is noisy:
an original's own later edits look like substitutions)."""


@dataclass(frozen=True)
class TablePair:
    """One row of the inverse-spinner table: a spinner output and what it may stand for."""

    spun: str
    original: str
    phrases: int
    papers: int
    lexicon: int
    real: int
    moby: bool

    @property
    def support(self) -> int:
        """Evidence for the pair, counted in PPS phrases."""
        return self.phrases + LEXICON_WEIGHT * self.lexicon + REAL_WEIGHT * self.real


class InverseTable:
    """The inverse-spinner table built by ``tools/build_spin_table.py``: lower-case phrases."""

    def __init__(self, pairs: Iterable[TablePair]):
        self.pairs = tuple(pairs)
        self._by_spun: dict[str, list[TablePair]] = {}
        self._as_original: dict[str, int] = {}
        for pair in self.pairs:
            self._by_spun.setdefault(pair.spun, []).append(pair)
            observed = LEXICON_WEIGHT * pair.lexicon + REAL_WEIGHT * pair.real
            self._as_original[pair.original] = self._as_original.get(pair.original, 0) + observed
        self.longest = max((len(spun.split()) for spun in self._by_spun), default=0)
        self.prefixes = frozenset(
            " ".join(words[:size])
            for words in (spun.split(" ") for spun in self._by_spun)
            for size in range(1, len(words))
        )
        """The first words (all but the last) of each spun phrase, joined by spaces."""

    def candidates(self, spun: str) -> list[TablePair]:
        """The pairs whose spun side is ``spun`` (lower case, single spaces)."""
        return self._by_spun.get(spun, [])

    def original_support(self, phrase: str) -> int:
        """How strongly the evidence says this spinner family replaces ``phrase`` when it meets
        it: curated-lexicon and real-page observations only (the PPS list records a family with
        other, mostly technical, habits)."""
        return self._as_original.get(phrase, 0)

    def without(self, drop: Callable[[TablePair], bool]) -> InverseTable:
        """A table without the pairs ``drop`` selects (for held-out evaluation)."""
        return InverseTable(pair for pair in self.pairs if not drop(pair))


@cache
def default_inverse_table() -> InverseTable:
    """The shipped inverse-spinner table, loaded once per process."""
    return InverseTable(read_table(INVERSE_TABLE_PATH))


def read_table(path: Path) -> list[TablePair]:
    """The pairs of an inverse-spinner table file (see ``tools/build_spin_table.py``)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    header, *body = rows
    if header[:7] != ["spun", "original", "phrases", "papers", "lexicon", "real", "moby"]:
        raise ValueError(f"{path}: unexpected header {header}")
    return [
        TablePair(spun, original, int(phrases), int(papers), int(lexicon), int(real), moby == "1")
        for spun, original, phrases, papers, lexicon, real, moby, *_ in body
    ]


@cache
def real_names() -> re.Pattern[str]:
    """Real names that contain spinner-like wording ("National Safety Council"), as one pattern.

    ``pressroom/repair/data/real_names.tsv`` lists them with their source; ``…`` at the end of a
    name
    stands for any following capitalised words ("Safety Council of …").
    """
    with REAL_NAMES_PATH.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    patterns = []
    for name, *_ in rows[1:]:
        open_ended = name.endswith("…")
        parts = name.rstrip("… ").split()
        pattern = r"\s+".join(re.escape(part) for part in parts)
        if open_ended:
            pattern += r"(?:\s+[A-Z][\w'’-]*)+"
        patterns.append(pattern)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(patterns)})(?![\w-])")
