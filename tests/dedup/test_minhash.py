"""Vectorised MinHash against datasketch, and the sorted-bucket candidate search against
datasketch's MinHashLSH."""

import random

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from pressroom.dedup import minhash as minhash_module
from pressroom.dedup.lsh import (
    band_key_matrix,
    candidate_pairs,
    components,
    lsh_shape,
    similar_pairs,
)
from pressroom.dedup.minhash import SCHEME, from_bytes, shingle_hash, signature_matrix, to_bytes
from pressroom.dedup.shingles import hashing_view, shingles
from pressroom.settings import DedupSettings
from tests.pages import PARAGRAPHS

WORDS = [f"word{i}" for i in range(3000)] + ["Élysée", "naïve", "Ｆｕｌｌ", "ﬁnal", "日本語"]


def random_texts(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    lengths = [0, 1, 2, 3, 4, 50, 400]
    return [" ".join(rng.choices(WORDS, k=rng.choice(lengths))) for _ in range(count)]


def datasketch_signature(text: str, settings: DedupSettings) -> np.ndarray:
    minhash = MinHash(
        num_perm=settings.num_perm, seed=settings.seed, scheme=SCHEME, hashfunc=shingle_hash
    )
    for shingle in shingles(text, settings.shingle_size):
        minhash.update(shingle)
    return minhash.hashvalues


@pytest.mark.parametrize(
    "settings",
    [DedupSettings(), DedupSettings(num_perm=64, shingle_size=5, seed=7)],
    ids=["defaults", "64-perm-5-shingles"],
)
def test_signatures_equal_datasketch_update(settings):
    texts = [*random_texts(60), *PARAGRAPHS, "", "Élysée, le 3 mars — “Communiqué”"]
    matrix = signature_matrix(texts, settings)
    assert matrix.shape == (len(texts), settings.num_perm) and matrix.dtype == np.uint32
    for text, row in zip(texts, matrix, strict=True):
        np.testing.assert_array_equal(row, datasketch_signature(text, settings))
    assert (matrix[texts.index("")] == np.iinfo(np.uint32).max).all()  # no shingles at all


PIECES = [
    *["Word", "word", "WORD", "x", "42", "a_b", "_", "__init__", "...", "!?", "-", " ", "\n\t"],
    *["\u2019", "\u201c", "\u201d", "\u2014", "\u2013", "\u00a0", "\u2026", "\u200b", "\ufeff"],
    *["\u00e9", "\u00c9", "\u00c9lys\u00e9e", "na\u00efve", "e\u0301", "\u0301", "\u0345"],
    *["\u65e5\u672c\u8a9e", "\ud55c\uad6d\uc5b4", "\U0001f600", "\U0001f44d\U0001f3fd"],
    *["\u00df", "\ufb01", "\ufb06", "\u0130", "\u03a3", "\u039f\u0394\u039f\u03a3", "\u0149"],
    *["\u210c", "\u216b", "\u33c2", "\u2460", "\u00bd", "\uff21", "\u01c5", "\u1f88", "\ufdfa"],
    *["\u0663", "\u0915\u094d\u0937\u093f", "\U0001d400", "\ud800", "\x00", "\x7f"],
]
"""Text pieces the hashing view treats differently: case, digits, underscores, punctuation
runs, typographic punctuation and spaces, accents (composed and combining), CJK, emoji,
case-fold and compatibility expansions (\u00df, \ufb01, \u00bd, \u33c2, \ufdfa), an
upper-case letter from a compatibility decomposition (\u210c), a lone surrogate, controls."""


def mixed_texts(count: int, seed: int) -> list[str]:
    """Random texts of random pieces, from empty and punctuation-only to a few hundred."""
    rng = random.Random(seed)
    return [
        "".join(
            rng.choice(PIECES) + rng.choice(["", "", " ", ","])
            for _ in range(rng.choice([0, 1, 2, 3, 4, 8, 40, 200]))
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_signatures_equal_datasketch_on_random_mixed_texts(seed):
    settings = DedupSettings(num_perm=64, shingle_size=3 + seed % 2, seed=seed)
    texts = mixed_texts(150, seed)
    for batch in (texts, texts[:1], [t for t in texts if t.isascii()]):
        matrix = signature_matrix(batch, settings)
        for text, row in zip(batch, matrix, strict=True):
            np.testing.assert_array_equal(row, datasketch_signature(text, settings), repr(text))


def test_folded_bytes_hold_the_hashing_view_of_any_character():
    """Folding each character apart (vectorised) folds the text: every character of a sample
    of all code points, inside and between words."""
    rng = random.Random(5)
    codes = [*range(0x250), *rng.sample(range(0x250, 0x110000), 5000)]
    texts = [f"Ab{chr(code)}cD {chr(code)}x {chr(code)}" for code in codes]
    folded, starts = minhash_module._folded_bytes(texts)
    ends = [*starts[1:], len(folded)]
    for text, begin, end in zip(texts, starts, ends, strict=True):
        words = bytes(folded[begin:end]).split(b"\0")
        assert [w for w in words if w] == hashing_view(text).encode().split(), repr(text)


def test_signatures_do_not_depend_on_the_batch(monkeypatch):
    texts = random_texts(40, seed=1)
    together = signature_matrix(texts)
    alone = np.vstack([signature_matrix([text]) for text in texts])
    np.testing.assert_array_equal(together, alone)
    # small slices of texts, and of shingles (a text's shingles split across slices)
    monkeypatch.setattr(minhash_module, "_CHARACTERS_AT_ONCE", 500)
    monkeypatch.setattr(minhash_module, "_CHUNK_VALUES", 256 * 50)
    np.testing.assert_array_equal(signature_matrix(texts), together)
    np.testing.assert_array_equal(from_bytes(to_bytes(together[5])), together[5])


def test_band_keys_depend_on_each_band_and_on_the_settings():
    signatures = signature_matrix(random_texts(20, seed=2))
    keys = band_key_matrix(signatures, DedupSettings())
    bands, rows = lsh_shape(DedupSettings())
    assert keys.shape == (20, bands) and keys.dtype == np.int64
    changed = signatures.copy()
    changed[0, rows] ^= 1  # the first value of the second band
    moved = band_key_matrix(changed, DedupSettings())
    assert moved[0, 1] != keys[0, 1]
    assert (moved[0, :1] == keys[0, :1]).all() and (moved[0, 2:] == keys[0, 2:]).all()
    other_seed = band_key_matrix(signatures, DedupSettings(seed=2))
    assert not np.isin(other_seed, keys).any()


def near_copies(count: int, seed: int) -> list[str]:
    """Texts in small families: an original and copies with a few words replaced."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        original = rng.choices(WORDS, k=150)
        texts.append(" ".join(original))
        for _ in range(rng.choice([0, 1, 2, 3])):
            copy = list(original)
            for position in rng.sample(range(150), rng.choice([3, 10, 25, 40])):
                copy[position] = rng.choice(WORDS)
            texts.append(" ".join(copy))
    return texts


@pytest.mark.parametrize("settings", [DedupSettings(), DedupSettings(lsh_weights=(0.5, 0.5))])
def test_candidates_equal_datasketch_minhashlsh(settings: DedupSettings):
    texts = near_copies(80, seed=3)
    signatures = signature_matrix(texts, settings)
    keys = band_key_matrix(signatures, settings)
    found = candidate_pairs(keys[:, band] for band in range(keys.shape[1]))

    lsh = MinHashLSH(
        threshold=settings.threshold, num_perm=settings.num_perm, weights=settings.lsh_weights
    )
    minhashes = [
        MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=SCHEME, hashvalues=row)
        for row in signatures
    ]
    for index, minhash in enumerate(minhashes):
        lsh.insert(index, minhash)
    expected = {
        (index, other)
        for index, minhash in enumerate(minhashes)
        for other in lsh.query(minhash)
        if index < other
    }
    assert len(expected) > 40  # the families give many candidates
    assert {tuple(pair) for pair in found.tolist()} == expected

    pairs, similarity = similar_pairs(signatures, keys, settings)
    assert (similarity >= settings.threshold).all()
    assert all(
        minhashes[i].jaccard(minhashes[j]) == pytest.approx(s)
        for (i, j), s in zip(pairs.tolist(), similarity, strict=True)
    )


@pytest.mark.parametrize("num_perm", [32, 128, 256])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.2, 0.8), (0.8, 0.2)])
def test_lsh_shape_equals_datasketch(num_perm, weights):
    for threshold in (0.1, 0.25, 0.45, 0.6, 0.8, 0.95):
        settings = DedupSettings(threshold=threshold, num_perm=num_perm, lsh_weights=weights)
        try:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
        except ValueError:  # a single band
            with pytest.raises(ValueError):
                lsh_shape(settings)
            continue
        assert lsh_shape(settings) == (lsh.b, lsh.r)


def test_large_buckets_link_each_member_to_the_first():
    keys = np.array([7, 5, 7, 7, 9, 7, 5], dtype=np.int64)
    assert candidate_pairs([keys], max_bucket=3).tolist() == [[0, 2], [0, 3], [0, 5], [1, 6]]
    assert len(candidate_pairs([keys], max_bucket=4)) == 7  # 6 pairs among the 7s, 1 among 5s
    assert candidate_pairs([], max_bucket=4).shape == (0, 2)


def test_components_label_each_cluster_by_its_smallest_member():
    pairs = np.array([[3, 5], [1, 3], [2, 4]], dtype=np.int64)
    assert components(7, pairs).tolist() == [0, 1, 2, 1, 2, 1, 6]
    assert components(2, np.empty((0, 2), dtype=np.int64)).tolist() == [0, 1]
