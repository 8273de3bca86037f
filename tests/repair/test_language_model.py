"""The shipped context-scoring language model and the tool that builds it."""

from __future__ import annotations

import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from pressroom.repair.language_model import (
    MODEL_FILE,
    LanguageModel,
    default_language_model,
    sentences,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import build_language_model  # noqa: E402


@pytest.fixture(scope="module")
def model() -> LanguageModel:
    return default_language_model()


def test_shipped_file_is_the_documented_model(model):
    size = files("pressroom.repair.data").joinpath(MODEL_FILE).stat().st_size  # type: ignore[attr-defined]
    assert size < 8 * 2**20
    assert model.sizes == {
        "unigrams": 60_699,
        "bigrams": 991_009,
        "trigrams": 1_337_323,
        "web unigrams": 109_878,
        "web bigrams": 249_528,
    }
    assert default_language_model() is model


@pytest.mark.parametrize(
    ("left", "original", "spun", "right"),
    [
        ("the effects of", "climate change", "local weather change", "on public health"),
        ("the risks are", "still real", "nonetheless actual", "for many people"),
        ("the first time", "since the uk", "for the reason that uk", "left the european"),
        ("to improve", "access to food", "entry to meals", "and clean water"),
        ("parts of the human", "body", "physique", "that are affected"),
        ("it was", "considered", "thought-about", "a serious threat"),
    ],
)
def test_original_wording_scores_above_the_spun_wording(model, left, original, spun, right):
    def score(middle: str) -> float:
        return model.logprob(f"{left} {middle} {right}".split())

    assert score(original) > score(spun)


def test_unknown_words_never_beat_known_ones_and_tie_with_each_other(model):
    known = model.logprob(["the", "risks", "are", "real"])
    assert model.logprob(["the", "risks", "are", "zqxvwj"]) < known - 3
    assert model.logprob(["the", "zqxvwj", "of"]) == model.logprob(["the", "vwjzqx", "of"])


def test_each_word_is_conditioned_on_the_words_before_it(model):
    scores = model.word_logprobs(["united", "nations"])
    assert len(scores) == 2
    assert scores[0] == pytest.approx(model.logprob(["united"]))
    assert scores[1] > model.logprob(["nations"])  # "nations" is likely after "united"
    assert model.logprob([]) == 0.0


def test_adapted_model_learns_from_texts_without_changing_the_shipped_one(model):
    phrase = ["the", "zorbanian", "ministry", "of", "fisheries"]
    before = model.logprob(phrase)
    adapted = model.adapted(["The Zorbanian Ministry of Fisheries said on Monday."] * 3)
    assert adapted.logprob(phrase) > before + 2
    assert model.logprob(phrase) == before
    unrelated = ["we", "must", "work", "together"]
    assert adapted.logprob(unrelated) == pytest.approx(model.logprob(unrelated))
    again = adapted.adapted(["Talks in Zorbania resumed."])
    assert again.counts[("zorbanian", "ministry")] == 3
    assert again.counts[("in", "zorbania")] == 1


def test_sentences_split_and_tokenise_like_the_restorer():
    text = "The UK’s well-known plan. It works!\n\nNext: part two"
    assert sentences(text) == [
        ["the", "uk's", "well-known", "plan"],
        ["it", "works"],
        ["next"],
        ["part", "two"],
    ]


def _corpora(root: Path) -> Path:
    """A tiny stand-in for ``../shared/corpora``: one NLTK-style package of plain text."""
    (root / "nltk_data").mkdir(parents=True)
    texts = [
        "The council adopted the resolution. The council met again on Monday.",
        "Member states adopted the resolution on climate change. The resolution was adopted.",
        "Climate change is a threat. The council discussed climate change on Monday.",
    ]
    with zipfile.ZipFile(root / "nltk_data" / "inaugural.zip", "w") as archive:
        for index, text in enumerate(texts):
            archive.writestr(f"inaugural/{index}.txt", text)
    return root


def test_build_tool_writes_a_normalised_reproducible_model(tmp_path):
    corpora = _corpora(tmp_path / "corpora")
    outputs = [tmp_path / "first.npz", tmp_path / "second.npz"]
    for output in outputs:
        paths = ["--corpora", str(corpora), "--output", str(output), "--sources", "inaugural"]
        counts = ["--min-word-count", "1", "--min-bigram-count", "1", "--min-trigram-count", "1"]
        build_language_model.main(["build", *paths, *counts])
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    built = LanguageModel.load(outputs[0])
    built.web_weight = 0.0  # the trained part alone
    trained = built.vocab[2 : built.trained_vocab_size]
    assert "council" in trained and "resolution" in trained
    for context in (["the"], ["climate"], ["the", "council"]):
        words = [*trained, "zqxvwj"]  # with every word kept, <unk> stands for no other type
        total = sum(10 ** built.word_logprobs([*context, word])[-1] for word in words)
        assert total == pytest.approx(1.0, abs=0.03)
    assert built.logprob(["climate", "change"]) > built.logprob(["climate", "council"])
