import itertools
import random
import re

import ftfy
from ftfy.badness import BADNESS_RE

from pressroom.repair import normalize_text
from pressroom.repair.unicode import (
    _FTFY,
    _FTFY_TARGETS,
    _MOJIBAKE_REACH,
    _MOJIBAKE_RUNS,
    _ftfy_keeps,
    normalize_with_repairs,
)


def test_mojibake_is_repaired():
    assert normalize_text("The â€œSecurity Councilâ€\x9d met todayâ€™s delegates") == (
        "The “Security Council” met today’s delegates"
    )


def test_typography_is_kept():
    text = "“Quoted” — it’s fine…"
    assert normalize_text(text) == text


def test_odd_spaces_invisible_characters_and_nfc():
    text = "Caf\u0065\u0301\u00a0au\u2009lait\u200b, in\u00adline  and\u3000more"
    assert normalize_text(text) == "Café au lait, inline and more"


def test_line_breaks_are_unified_and_blank_runs_collapsed():
    assert normalize_text("one\r\ntwo\rthree\u2028four\n\n\n\nfive  \n") == (
        "one\ntwo\nthree\nfour\n\nfive"
    )


def test_words_changed_by_removing_invisible_characters_are_repairs_odd_spaces_are_not():
    text, repairs = normalize_with_repairs("An inter\u00adnational\u00a0day,\u2009today")
    assert text == "An international day, today"
    assert [(r.before, r.after, text[r.start : r.end]) for r in repairs] == [
        ("inter\u00adnational", "international", "international")
    ]


def test_the_ftfy_shortcut_is_taken_only_where_ftfy_changes_nothing():
    """``_ftfy_keeps`` says "unchanged" only where ftfy indeed changes nothing: mojibake, entities,
    controls, ligatures, surrogates, decomposed accents and typography side by side, at random."""
    rng = random.Random(7)
    pieces = [*"aeXZ09 .,!-&#;<\n\t", *_mojibake_characters(), "&amp;", "&eacute;", "&#x2019;"]
    pieces += ["\x1b[1m", "\x00", "\ufeff", "\u0301", "ﬁ", "ĳ", "\ud83d", "\ude00", "日", "ال"]
    pieces += ["Ã©", "â€™", "Â ", "â€", "Ã", "Ð¾", "“", "”", "—", "’", "\xa0", "é", "ß", "Ö"]
    pieces += ["Ａ", "ｶ", "\r", "\u2028", "\x85", "&lt;", "&EACUTE;"]  # fixers _FTFY turns off, too
    texts = ["".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(40_000)]
    texts += [
        text.encode("utf-8", "surrogatepass").decode("windows-1252", "replace")
        for text in texts[:10_000]
    ]
    kept = [text for text in texts if _ftfy_keeps(text)]
    assert [text for text in kept if ftfy.fix_text(text, config=_FTFY) != text] == []
    assert len(kept) > 5_000  # the shortcut is not trivially "never"
    assert _ftfy_keeps("Größe gemäß „Plan“ – 5 € « oui » Привет 日本 “quoted” — it’s fine…\n")


def test_ftfy_mojibake_patterns_need_a_target_or_two_run_characters():
    """The premise of ``_ftfy_keeps``: each alternative of ftfy's ``BADNESS_RE`` has a character
    class within ``_FTFY_TARGETS`` or two classes in a row within ``_MOJIBAKE_RUNS``'s, and a
    match is at most ``_MOJIBAKE_REACH`` characters longer than such a pair."""
    tree = re._parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    ((branch, (_, alternatives)),) = tree.data
    assert branch is re._constants.BRANCH
    assert tree.getwidth()[1] <= _MOJIBAKE_REACH + 2
    run_class = re.compile(_MOJIBAKE_RUNS.pattern.removesuffix("{2,}"))
    for alternative in alternatives:
        classes = [_characters(item) for item in alternative]
        targets = any(c is not None and all(_FTFY_TARGETS.match(x) for x in c) for c in classes)
        in_runs = [c is not None and all(run_class.match(x) for x in c) for c in classes]
        assert targets or any(a and b for a, b in itertools.pairwise(in_runs)), alternative


def _characters(item: tuple) -> set[str] | None:
    """The characters one element of a parsed pattern matches, if it is a plain character set."""
    op, argument = item
    if op is re._constants.LITERAL:
        return {chr(argument)}
    if op is not re._constants.IN:
        return None
    found = set()
    for member, value in argument:
        if member is re._constants.LITERAL:
            found.add(chr(value))
        elif member is re._constants.RANGE:
            found.update(map(chr, range(value[0], value[1] + 1)))
        else:  # a category or a negated set
            return None
    return found


def _mojibake_characters() -> list[str]:
    tree = re._parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    ((_, (_, alternatives)),) = tree.data
    return sorted({c for a in alternatives for item in a for c in _characters(item) or ()})
