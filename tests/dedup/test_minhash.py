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
from pressroom.dedup.shingles import shingles
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


def test_signatures_do_not_depend_on_the_batch(monkeypatch):
    texts = random_texts(40, seed=1)
    together = signature_matrix(texts)
    alone = np.vstack([signature_matrix([text]) for text in texts])
    np.testing.assert_array_equal(together, alone)
    # small slices of texts, and of shingles (a text's shingles split across slices)
    monkeypatch.setattr(minhash_module, "_TEXTS_AT_ONCE", 7)
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


def test_large_buckets_link_each_member_to_the_first():
    keys = np.array([7, 5, 7, 7, 9, 7, 5], dtype=np.int64)
    assert candidate_pairs([keys], max_bucket=3).tolist() == [[0, 2], [0, 3], [0, 5], [1, 6]]
    assert len(candidate_pairs([keys], max_bucket=4)) == 7  # 6 pairs among the 7s, 1 among 5s
    assert candidate_pairs([], max_bucket=4).shape == (0, 2)


def test_components_label_each_cluster_by_its_smallest_member():
    pairs = np.array([[3, 5], [1, 3], [2, 4]], dtype=np.int64)
    assert components(7, pairs).tolist() == [0, 1, 2, 1, 2, 1, 6]
    assert components(2, np.empty((0, 2), dtype=np.int64)).tolist() == [0, 1]
