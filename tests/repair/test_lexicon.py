"""The lexicon's matcher: the trie lookahead that makes it fast changes nothing it finds."""

from __future__ import annotations

import random
import re

from pressroom.repair.lexicon import Lexicon, LexiconEntry, _phrase_pattern, default_lexicon


def test_matches_are_those_of_the_plain_alternation():
    """Spun phrases in other capitalisations, spacings and apostrophes, glued to neighbours that
    do and do not end a word, are found exactly where the plain alternation finds them."""
    lexicon = default_lexicon()
    plain = _plain_pattern(lexicon)
    rng = random.Random(3)
    phrases = [spun for entry in lexicon.entries for spun, _ in entry.forms()]
    glue = [" ", "  ", "\n", "-", "'", "’", "’s", "'ll", "s", ".", ",", "", "K", "ſ", "İ"]
    found = 0
    for _ in range(20_000):
        parts = [rng.choice(glue) + _mutated(rng.choice(phrases), rng) for _ in range(3)]
        text = "".join(parts) + rng.choice(glue)
        expected = [m.span() for m in plain.finditer(text)]
        assert [m.span() for m in lexicon._pattern.finditer(text)] == expected, text
        found += len(expected)
    assert found > 10_000


def test_a_shorter_phrase_inside_a_longer_one_is_still_found():
    lexicon = Lexicon(
        [
            LexiconEntry("safety council", "security council", "signature"),
            LexiconEntry("safety", "security", "swap"),
            LexiconEntry("we're", "we are", "swap"),
        ]
    )
    text = "the Safety  Council, safety-net, safetys, safety. We’re"
    found = [(m.spun, m.original) for m in lexicon.find(text)]
    assert found == [
        ("Safety  Council", "security council"),
        ("safety", "security"),
        ("We’re", "we are"),
    ]
    assert [m.group() for m in _plain_pattern(lexicon).finditer(text)] == [s for s, _ in found]


def _plain_pattern(lexicon: Lexicon) -> re.Pattern[str]:
    """The matcher without its lookahead: every phrase, longest first."""
    phrases = sorted(lexicon._forms, key=len, reverse=True)
    alternatives = "|".join(_phrase_pattern(phrase) for phrase in phrases)
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w-]|['’]\w\w)", re.IGNORECASE)


def _mutated(phrase: str, rng: random.Random) -> str:
    """``phrase`` with random capitals, runs of white space and curly apostrophes."""
    changed = {" ": ["  ", "\n", "\t"], "'": ["’"], "k": ["K"], "s": ["ſ"], "i": ["İ"]}
    return "".join(
        rng.choice(changed.get(char, [char.upper()])) if rng.random() < 0.2 else char
        for char in phrase
    )
