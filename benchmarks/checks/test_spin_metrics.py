"""The spin scoring of ``benchmarks/spin_metrics.py`` does what its docstrings say."""

from __future__ import annotations

from spin_metrics import EditScore, OutputAlignment, words


def test_edit_scoring() -> None:
    """An exact restoration counts as a correct edit; another wording as a wrong one."""
    right, wrong = EditScore(), EditScore()
    right.add("a speedy brown fox", "a quick brown fox", "a quick brown fox")
    wrong.add("a speedy brown fox", "a fast brown fox", "a quick brown fox")
    assert (right.precision, right.recall, right.tokens_restored) == (1.0, 1.0, 1.0)
    assert (wrong.precision, wrong.recall, wrong.tokens_restored) == (0.0, 0.0, 0.0)


def test_a_run_restored_by_several_edits() -> None:
    original = words("where local climate models agree")
    repaired = words("where local climate models agree")
    output = OutputAlignment(repaired, original)
    assert output.restored(2, 4) and output.correct(2, 3) and output.correct(3, 4)
    partly = OutputAlignment(words("where local climate fashions agree"), original)
    assert not partly.restored(2, 4) and partly.correct(2, 3)
    assert not partly.correct(3, 4)


def test_deletions_and_insertions() -> None:
    original = words("a hit for the stock")
    assert OutputAlignment(words("a hit for the stock"), original).restored(2, 2)
    extra = OutputAlignment(words("a hit gross for the stock"), original)
    assert not extra.restored(1, 2) and extra.restored(3, 5)
