"""MinHash signature throughput: pressroom's vectorised batches against datasketch and rensa.

On the same documents (``--documents`` synthetic press releases of about 400 words from
``benchmarks/synthetic.py``, or ``--corpus`` texts), text to signature, side by side in one run:
- datasketch ``MinHash.update`` per shingle, per document (its default SHA-1 hash function);
- datasketch ``MinHash.bulk`` (its batch API: ``update_batch`` per document);
- ``dedup.minhash.signature_matrix`` over batches of 1,000 documents, in one process;
- the same in one process per core;
- rensa 0.5.0's R-MinHash (``benchmarks/peers/rensa_run.py``, in the peers' virtual environment
  of ``benchmarks/throughput.py``: pressroom does not depend on it): ``RMinHash.update`` per
  document, and its bulk ``digest_matrix_from_token_byte_sets`` on one thread and on one per
  core (its own timing of text to signature, in its own process).
All start from the text and shingle it with ``dedup.shingles`` (datasketch's and rensa's paths
shingle with ``shingles``; ``signature_matrix`` tokenises itself). Equality: every signature of
pressroom's equals the one datasketch computes with ``hashfunc=shingle_hash`` (the same seed and
permutations); rensa's algorithm gives other signatures, so it is timed only.

    .venv/bin/python benchmarks/minhash_throughput.py [--documents 5000] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from datasketch import MinHash
from synthetic import document
from throughput import ROOT, peers_python

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


def rensa_seconds(texts: list[str], threads: int) -> dict[str, float]:
    """Seconds of rensa's ways (``benchmarks/peers/rensa_run.py``) on ``threads`` threads."""
    python = sys.executable if importlib.util.find_spec("rensa") else str(peers_python())
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
        json.dump(texts, file)
        file.flush()
        command = [
            python,
            str(ROOT / "benchmarks" / "peers" / "rensa_run.py"),
            file.name,
            f"--num-perm={SETTINGS.num_perm}",
            f"--seed={SETTINGS.seed}",
            f"--shingle-size={SETTINGS.shingle_size}",
        ]
        env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    timings = json.loads(output.stdout.splitlines()[-1])
    return {way: timing["seconds"] for way, timing in timings.items()}


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
    one_thread, all_threads = rensa_seconds(texts, 1), rensa_seconds(texts, args.workers)
    seconds["rensa RMinHash.update per document"] = one_thread["per_document"]
    seconds["rensa digest_matrix, 1 thread"] = one_thread["bulk"]
    seconds[f"rensa digest_matrix, {args.workers} threads"] = all_threads["bulk"]

    pressroom_one = "pressroom signature_matrix, 1 process"
    pressroom_all = f"pressroom signature_matrix, {args.workers} processes"
    baseline = seconds["datasketch MinHash.update loop"]
    print(f"{'method':44} {'seconds':>8} {'docs/s':>9} {'speed-up':>9}")
    for name, value in seconds.items():
        print(f"{name:44} {value:8.2f} {len(texts) / value:9.0f} {baseline / value:8.1f}x")

    rensa_one = min(one_thread.values())  # rensa's faster way on one thread
    print("\npressroom signature_matrix / rensa (docs/s ratio; rensa's faster way)")
    print(f"  1 process / rensa 1 thread: {rensa_one / seconds[pressroom_one]:.2f}")
    print(
        f"  {args.workers} processes / rensa {args.workers} threads: "
        f"{min(rensa_one, all_threads['bulk']) / seconds[pressroom_all]:.2f}"
    )

    reference = datasketch_update(texts, hashfunc=shingle_hash)
    for name, matrix in results.items():
        if name.startswith("pressroom"):
            same = np.array_equal(matrix, reference)
            print(f"{name}: identical to datasketch (hashfunc=shingle_hash): {same}")


if __name__ == "__main__":
    main()
