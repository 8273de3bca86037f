"""MinHash signature throughput: pressroom's vectorised batches against datasketch.

On the same documents (``--documents`` synthetic press releases of about 400 words from
``benchmarks/synthetic.py``, or ``--corpus`` texts), text to signature, side by side in one run:
- datasketch ``MinHash.update`` per shingle, per document (its default SHA-1 hash function);
- datasketch ``MinHash.bulk`` (its batch API: ``update_batch`` per document);
- ``dedup.minhash.signature_matrix`` over batches of 1,000 documents, in one process;
- the same in one process per core.
All start from the text and shingle it with ``dedup.shingles`` (datasketch's loops shingle with
``shingles``; ``signature_matrix`` tokenises itself). Equality: every signature equals the one
datasketch computes with ``hashfunc=shingle_hash`` (the same seed and permutations).

    .venv/bin/python benchmarks/minhash_throughput.py [--documents 5000] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from datasketch import MinHash
from synthetic import document

from pressroom.dedup.minhash import SCHEME, shingle_hash, signature_matrix
from pressroom.dedup.shingles import shingles
from pressroom.settings import DedupSettings

SETTINGS = DedupSettings()
BATCH = 1_000


def datasketch_update(texts: list[str], hashfunc=None) -> np.ndarray:
    rows = []
    for text in texts:
        options = {"hashfunc": hashfunc} if hashfunc else {}
        minhash = MinHash(num_perm=SETTINGS.num_perm, seed=SETTINGS.seed, scheme=SCHEME, **options)
        for shingle in shingles(text, SETTINGS.shingle_size):
            minhash.update(shingle)
        rows.append(minhash.hashvalues)
    return np.stack(rows)


def datasketch_bulk(texts: list[str]) -> np.ndarray:
    minhashes = MinHash.bulk(
        (sorted(shingles(text, SETTINGS.shingle_size)) for text in texts),
        num_perm=SETTINGS.num_perm,
        seed=SETTINGS.seed,
        scheme=SCHEME,
    )
    return np.stack([minhash.hashvalues for minhash in minhashes])


def batched(texts: list[str]) -> np.ndarray:
    return np.vstack(
        [signature_matrix(texts[i : i + BATCH], SETTINGS) for i in range(0, len(texts), BATCH)]
    )


def _signature_batch(texts: list[str]) -> np.ndarray:
    return signature_matrix(texts, SETTINGS)


def batched_parallel(texts: list[str], workers: int, pool) -> np.ndarray:
    chunks = [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]
    return np.vstack(pool.map(_signature_batch, chunks))


def load_texts(args: argparse.Namespace) -> list[str]:
    if args.corpus:
        files = sorted(Path(args.corpus).rglob("*.txt"))
        return [file.read_text(encoding="utf-8") for file in files][: args.documents]
    return [document(args.seed, index) for index in range(args.documents)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=5_000)
    parser.add_argument("--corpus", help="a folder of .txt files to use instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    texts = load_texts(args)
    words = sum(len(text.split()) for text in texts) / len(texts)
    print(f"{len(texts):,} documents, {words:.0f} words each on average, {args.workers} cores")

    with get_context("spawn").Pool(args.workers) as pool:
        pool.map(_signature_batch, [texts[:10]] * args.workers)  # start and warm the workers
        runs = {
            "datasketch MinHash.update loop": lambda: datasketch_update(texts),
            "datasketch MinHash.bulk": lambda: datasketch_bulk(texts),
            "pressroom signature_matrix, 1 process": lambda: batched(texts),
            f"pressroom signature_matrix, {args.workers} processes": lambda: batched_parallel(
                texts, args.workers, pool
            ),
        }
        seconds, results = {}, {}
        for name, function in runs.items():
            clock = time.perf_counter()
            results[name] = function()
            seconds[name] = time.perf_counter() - clock

    baseline = seconds["datasketch MinHash.update loop"]
    print(f"{'method':44} {'seconds':>8} {'docs/s':>9} {'speed-up':>9}")
    for name, value in seconds.items():
        print(f"{name:44} {value:8.2f} {len(texts) / value:9.0f} {baseline / value:8.1f}x")

    reference = datasketch_update(texts, hashfunc=shingle_hash)
    for name, matrix in results.items():
        if name.startswith("pressroom"):
            same = np.array_equal(matrix, reference)
            print(f"{name}: identical to datasketch (hashfunc=shingle_hash): {same}")


if __name__ == "__main__":
    main()
