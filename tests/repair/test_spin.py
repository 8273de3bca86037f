"""Spun-text detection and restoration, and the repair audit trail (pure functions)."""

from __future__ import annotations

import itertools
import re
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from pressroom.repair import repair_text
from pressroom.repair.candidates import restore_candidates, restore_from_table
from pressroom.repair.edits import Edit, apply_edits
from pressroom.repair.lexicon import (
    InverseTable,
    Lexicon,
    LexiconEntry,
    TablePair,
    check_entries,
    default_inverse_table,
    default_lexicon,
)
from pressroom.repair.spin import assess_spin
from pressroom.schemas import Repair
from pressroom.settings import SpinSettings
from tools.build_spin_table import aligned_pairs, pps_pairs, real_pairs, unchanged_words

ROOT = Path(__file__).resolve().parents[2]
SPUN_SEED = next((ROOT / "data" / "samples").glob("001_*"))
CLEAN_SEEDS = sorted(p for p in (ROOT / "data" / "samples").glob("*.txt") if p != SPUN_SEED)
ORIGINAL = ROOT / "tests" / "fixtures" / "us_mission_joint_statement_original.txt"
WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def word_edits(source: str, target: str) -> set[tuple[int, int, tuple[str, ...]]]:
    """The runs of ``source``'s words (lower case) that differ from ``target``, each with the
    words that replace it."""
    a, b = ([w.lower().replace("’", "'") for w in WORD.findall(t)] for t in (source, target))
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return {(i1, i2, tuple(b[j1:j2])) for tag, i1, i2, j1, j2 in opcodes if tag != "equal"}


def assert_located(text: str, repairs: list[Repair]) -> None:
    for repair in repairs:
        assert text[repair.start : repair.end] == repair.after


def test_seed_001_is_spun_and_its_wording_is_restored():
    spun = SPUN_SEED.read_text().replace("Leave a Comment", "")
    repaired = repair_text(spun, "en")

    assert repaired.is_spun and repaired.spin_score > 0.8
    gold, made = word_edits(spun, ORIGINAL.read_text()), word_edits(spun, repaired.text)
    assert len(gold & made) >= 0.9 * len(gold) and len(gold & made) >= 0.95 * len(made)
    for phrase in ["Security Council", "General Assembly", "international law", "cyberspace"]:
        assert phrase in repaired.text
    for phrase in ["Safety Council", "Common Meeting", "worldwide legislation", "on-line world"]:
        assert phrase not in repaired.text
    assert "For Immediate Release" in repaired.text and "Ireland, Israel" in repaired.text
    assert {r.method for r in repaired.repairs} == {"lexicon"}
    assert_located(repaired.text, repaired.repairs)
    assert all(0 < r.confidence <= 1 and r.before != r.after for r in repaired.repairs)


@pytest.mark.parametrize("path", CLEAN_SEEDS, ids=lambda p: p.name[:3])
def test_clean_seeds_are_left_untouched(path):
    text = path.read_text()
    repaired = repair_text(text, "en")
    assert not repaired.is_spun
    assert repaired.repairs == []


def test_a_signature_in_a_clean_text_is_flagged_not_rewritten():
    text = "The Safety Council published its annual report on road deaths today. " * 3
    assessment = assess_spin(text)
    assert not assessment.is_spun and assessment.edits == []
    assert [flag.span for flag in assessment.flags] == ["Safety Council"] * 3


NSC_RELEASE = (
    "ITASCA, Ill. - The National Safety Council today released its annual Injury Facts report. "
    "Preventable deaths rose again, the National Safety Council said, and worldwide data show "
    "the same trend. Read the full report in our on-line library."
)


def test_real_names_are_not_evidence_and_not_rewritten():
    repaired = repair_text(NSC_RELEASE, "en")
    assert not repaired.is_spun and repaired.repairs == []
    forced = repair_text(NSC_RELEASE, "en", judged_spun=True)
    assert forced.text.count("National Safety Council") == 2


def test_a_name_the_text_repeats_is_not_evidence_by_itself():
    text = (
        "The Ontario Safety Council met today. The Ontario Safety Council and the Common Meeting."
    )
    assert not assess_spin(text * 3).is_spun


def test_seed_001_names_that_are_spun_are_still_restored():
    repaired = repair_text(SPUN_SEED.read_text(), "en")
    assert "UN Security Council Resolutions" in repaired.text


def test_a_spun_word_with_several_possible_originals_is_flagged_not_guessed():
    text = (
        "It is nonetheless actual that the Safety Council and the Common Meeting met in our "
        "on-line world for the reason that the UK asked."
    )
    repaired = repair_text(text, "en")
    assert repaired.is_spun
    assert "nonetheless" in repaired.text and "however" not in repaired.text
    assert "nonetheless" in [flag.span for flag in repaired.flags]
    assert "since the UK asked" in repaired.text


def test_a_short_header_takes_the_verdict_it_is_given():
    title = (
        "Joint Assertion on the usage of Info and Communications Expertise within the context "
        "of Worldwide Peace and Safety"
    )
    assert repair_text(title, "en", judged_spun=False).text == title
    assert repair_text(title, "en", judged_spun=True).text == (
        "Joint Statement on the use of Information and Communications Technology in the context "
        "of International Peace and Security"
    )


def test_swaps_are_left_alone_where_the_neighbours_favour_the_spun_word():
    text = (
        "The Safety Council met in our on-line world. Worldwide legislation and the "
        "Common Meeting were discussed, and so were monetary policy and monetary results."
    )
    swap = LexiconEntry("monetary", "financial", "swap")
    assessment = assess_spin(text, Lexicon([*default_lexicon().entries, swap]))
    assert assessment.is_spun
    assert [flag.span for flag in assessment.flags] == ["monetary"]
    restored, _ = apply_edits(text, assessment.edits)
    assert restored.startswith("The Security Council met in cyberspace. International law")
    assert "so were monetary policy and financial results" in restored


def test_articles_agree_with_the_restored_word():
    text = (
        "The Safety Council and the Common Meeting: we take a chance to reply in our on-line world."
    )
    lexicon = Lexicon([*default_lexicon().entries, LexiconEntry("chance", "opportunity", "swap")])
    repaired = repair_text(text, "en", lexicon=lexicon)
    assert "we take an opportunity to reply in cyberspace" in repaired.text
    (article,) = [r for r in repaired.repairs if r.after == "an opportunity"]
    assert article.before == "a chance"


def test_capitalisation_follows_the_spun_text():
    text = (
        "WORLDWIDE LEGISLATION. Worldwide Peace and Safety. The Safety Council, our on-line world."
    )
    repaired = repair_text(text, "en")
    assert repaired.text == (
        "INTERNATIONAL LAW. International Peace and Security. The Security Council, cyberspace."
    )


def test_inflected_forms_are_restored():
    text = "The Safety Council saw menaces in our on-line world and rising use of latest tools."
    repaired = repair_text(text, "en")
    assert "saw threats in cyberspace and increasing use of new tools" in repaired.text


def test_other_languages_get_unicode_repairs_only():
    text = "Le Safety Council et le Common Meeting dans our on-line world â€” todayâ€™s"
    repaired = repair_text(text, "fr")
    assert not repaired.is_spun and "Safety Council" in repaired.text
    assert {r.method for r in repaired.repairs} == {"unicode"}


def test_mojibake_repairs_are_recorded_where_they_change_words():
    extracted = (
        "The â€œSecurity Councilâ€\x9d met todayâ€™s delegates in inter\u00adnational talks."
    )
    repaired = repair_text(extracted, "en")
    assert repaired.text == "The “Security Council” met today’s delegates in international talks."
    assert [(r.before, r.after, r.method) for r in repaired.repairs] == [
        ("â€œSecurity Councilâ", "Security Council", "unicode"),
        ("todayâ€™s", "today’s", "unicode"),
        ("inter\u00adnational", "international", "unicode"),
    ]
    assert_located(repaired.text, repaired.repairs)


def test_later_edits_move_and_absorb_earlier_repairs():
    text = "aa bb cc dd"
    earlier = [
        Repair(3, 5, "b?", "bb", "unicode", 0.99),
        Repair(9, 11, "d?", "dd", "unicode", 0.99),
    ]
    restored, repairs = apply_edits(text, [Edit(0, 5, "x", "lexicon", 0.9)], earlier)
    assert restored == "x cc dd"
    assert [(r.before, r.after, r.method) for r in repairs] == [
        ("aa b?", "x", "lexicon"),
        ("d?", "dd", "unicode"),
    ]
    assert_located(restored, repairs)


def test_thesaurus_candidates_restore_words_the_lexicon_lacks():
    text = "At the identical time, sales rose. Costs fell by the identical amount."
    edits, flags = restore_candidates(text, [])
    assert [(text[e.start : e.end], e.after, e.method) for e in edits] == [
        ("identical", "same", "context"),
        ("identical", "same", "context"),
    ]
    assert flags == []


def test_thesaurus_candidates_must_agree_at_every_occurrence():
    text = "At the identical time, sales rose. The twins are identical in every way."
    edits, flags = restore_candidates(text, [])
    assert edits == []
    assert [f.span for f in flags] == ["identical", "identical"]
    assert "'same'" in flags[0].reason


def test_thesaurus_candidates_skip_taken_spans_and_common_words():
    text = "Sales rose as properly as profits."
    start = text.index("properly")
    assert restore_candidates(text, [(start, start + 8)]) == ([], [])
    common_only = SpinSettings(candidate_max_count=1000)
    assert restore_candidates(text, [], common_only) == ([], [])
    assert [e.after for e in restore_candidates(text, [])[0]] == ["well"]


def test_the_bundled_lexicon_passes_its_checks():
    assert check_entries(default_lexicon().entries) == []
    assert len(default_lexicon().entries) >= 300


def test_lexicon_checks_catch_unsafe_entries():
    entries = [
        LexiconEntry("safety council", "Security Council", "signature", line=2),
        LexiconEntry("safety council", "Safety Board", "swap", line=3),
        LexiconEntry("Menace", "threat", "sometimes", line=4),
        LexiconEntry("law", "law", "swap", line=5),
        LexiconEntry("threat", "menace", "signature", line=6),
        LexiconEntry("xqzv", "abcd", "swap", "v", line=7),
    ]
    problems = "\n".join(check_entries(entries))
    assert "line 3 ('safety council'): 'safety council' is also produced by line 2" in problems
    assert "line 4 ('Menace'): kind must be one of" in problems
    assert "line 4 ('Menace'): write the spun side in lower case" in problems
    assert "line 5 ('law'): spun and original are the same" in problems
    assert "line 6 ('threat'): a signature must not also be some entry's original" in problems


class ScriptedModel:
    """A language model that scores a wording by the words it contains (for table-tier tests)."""

    def __init__(self, scores: dict[str, float]):
        self.scores = scores

    def logprob(self, words):
        return sum(self.scores.get(word, -3.0) for word in words)


def pair(spun: str, original: str, lexicon: int = 1) -> TablePair:
    return TablePair(spun, original, 0, 0, lexicon, 0, False)


def test_the_table_tier_replaces_only_with_a_clear_margin():
    table = InverseTable([pair("physique", "body")])
    text = "Exercise keeps the physique healthy."
    model = ScriptedModel({"body": -1.0, "physique": -5.0})
    edits, flags = restore_from_table(text, [], table=table, model=model)
    assert [(text[e.start : e.end], e.after) for e in edits] == [("physique", "body")]
    unclear = ScriptedModel({"body": -4.5, "physique": -5.0})
    edits, flags = restore_from_table(text, [], table=table, model=unclear)
    assert edits == [] and [f.span for f in flags] == ["physique"]


def test_the_table_tier_flags_a_tie_between_originals_and_skips_names():
    table = InverseTable([pair("nonetheless", "however"), pair("nonetheless", "still")])
    model = ScriptedModel({"however": -1.0, "still": -1.0, "nonetheless": -6.0})
    text = "It is nonetheless actual. Nonetheless Street is closed. Ask Mr Nonetheless."
    edits, flags = restore_from_table(text, [], table=table, model=model)
    assert edits == []
    assert [f.span for f in flags] == ["nonetheless", "Nonetheless"]
    assert "'however'" in flags[0].reason and "'still'" in flags[0].reason


def test_the_table_tier_fixes_the_article():
    table = InverseTable([pair("chance", "opportunity")])
    model = ScriptedModel({"opportunity": -1.0, "chance": -5.0})
    text = "We take a chance to reply."
    any_frequency = SpinSettings(table_frequency=0)
    edits, _ = restore_from_table(text, [], any_frequency, table=table, model=model)
    assert [(text[e.start : e.end], e.after) for e in edits] == [("a chance", "an opportunity")]


def test_the_shipped_table_has_evidence_for_every_pair():
    table = default_inverse_table()
    assert len(table.pairs) > 1000
    assert all(p.support > 0 for p in table.pairs)
    assert {p.original for p in table.candidates("profound")} >= {"deep"}


def test_the_table_tool_learns_word_inversions_and_skips_queries(tmp_path):
    assert aligned_pairs(["profound", "learning"], ["deep", "learning"]) == [("profound", "deep")]
    assert ("our on-line world", "cyberspace") in aligned_pairs(
        ["in", "our", "on-line", "world"], ["in", "cyberspace"]
    )
    csv_path = tmp_path / "pps.csv"
    csv_path.write_text(
        "tortured_phrase,expected_phrase,num_papers\n"
        '"""profound learning""",deep learning,"3,003"\n'
        '"""surface region"" AND ""surface area""",surface area,"42,682"\n',
        encoding="utf-8",
    )
    assert pps_pairs(csv_path) == ([("profound", "deep", 3003)], 1)


def test_the_table_tool_takes_real_pages_from_the_chosen_development_groups_only(tmp_path):
    pages = {
        "a.original": "the team met on monday",
        "a.spun": "the workforce met on monday",
        "b.original": "a quick result",
        "b.spun": "a speedy result",
        "c.spun": "never opened",
    }
    (tmp_path / "pages").mkdir()
    for page_id, text in pages.items():
        (tmp_path / "pages" / f"{page_id}.txt").write_text(text, encoding="utf-8")
    manifest = tmp_path / "manifest.tsv"
    rows = ["id\trole\tpair\tsplit", "a.original\toriginal\ta\tdev", "a.spun\tspun\ta\tdev"]
    rows += ["b.original\toriginal\tb\tdev", "b.spun\tspun\tb\tdev", "c.spun\tspun\tc\ttest"]
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert sorted(real_pairs(manifest)[0]) == [("speedy", "quick"), ("workforce", "team")]
    found, _, documents = real_pairs(manifest, frozenset({"b"}))
    assert found == [("speedy", "quick")] and documents == 1


def test_the_table_tool_knows_which_words_the_spinner_kept():
    assert unchanged_words(["the", "fascinating", "study"], ["the", "interesting", "study"]) == [
        "the",
        "study",
    ]


def test_a_text_without_lexicon_hits_is_spun_when_the_table_restores_enough_of_it():
    table = InverseTable(
        [pair("blorp", "executive", 3), pair("zint", "green", 3), pair("quaf", "year", 3)]
    )
    text = "The blorp order on zint cards ends this quaf, officials said on Monday."
    settings = SpinSettings(table_alone_density=1.0)
    assert assess_spin(text, table=table).evidence == 0
    result = repair_text(text, "en", settings=settings, table=table)
    assert result.is_spun and result.text.startswith("The executive order on green cards")
    sparse = text + " The rest of the page says nothing unusual at all." * 40
    assert not repair_text(sparse, "en", settings=settings, table=table).is_spun


class NeighbourModel:
    """A language model that rewards given word pairs (for the table tier's repeat rule)."""

    def __init__(self, bonuses: dict[tuple[str, str], float]):
        self.bonuses = bonuses

    def logprob(self, words):
        pairs = itertools.pairwise(words)
        return -3.0 * len(words) + sum(self.bonuses.get(p, 0.0) for p in pairs)


def test_the_table_tier_restores_every_occurrence_the_same_way():
    table = InverseTable([pair("physique", "body")])
    model = NeighbourModel({("the", "body"): 3.0, ("body", "test"): 0.5})
    text = "Exercise keeps the physique healthy. A physique test."
    edits, _ = restore_from_table(text, [], table=table, model=model)
    assert [e.after for e in edits] == ["body", "body"]
    alone = "A physique test."
    edits, flags = restore_from_table(alone, [], table=table, model=model)
    assert edits == [] and [f.span for f in flags] == ["physique"]
