"""Near-duplicate search at scale: wall time, peak memory and recall of planted pairs.

Synthetic press releases (``benchmarks/synthetic.py``: about 400 words, one in ten a planted
near-copy of an earlier one) go through pressroom's dedup functions the way a large job runs
them, with nothing for the whole corpus held as Python objects:

1. sign: worker processes (all cores) make each batch of documents and compute its MinHash
   signatures (``dedup.minhash.signature_matrix``) and LSH band keys
   (``dedup.lsh.band_key_matrix``); the parent appends signatures to a memory-mapped file and
   band keys to a Parquet file, one column per band;
2. candidates: ``dedup.lsh.candidate_pairs`` reads the band columns back one at a time (sorted
   buckets);
3. verify: ``dedup.lsh.similarities`` on the memory-mapped signatures, then
   ``dedup.lsh.components`` (clusters).

Recall: planted (original, copy) pairs that end in one cluster. False pairs: verified pairs
whose documents were not planted together. Peak memory: largest summed RSS of this process and
its workers (sampled every 100 ms; memory-mapped signature pages that are resident count).

    .venv/bin/python benchmarks/dedup_scale.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from synthetic import Family, document
from throughput import PeakMemory

from pressroom.dedup.lsh import (
    band_key_matrix,
    candidate_pairs,
    components,
    lsh_shape,
    similarities,
)
from pressroom.dedup.minhash import signature_matrix
from pressroom.settings import DedupSettings

SETTINGS = DedupSettings()
BATCH = 5_000


def sign_batch(task: tuple[int, int, int]) -> tuple[int, np.ndarray, np.ndarray]:
    """Make documents ``start..stop`` and sign them (runs in a worker process)."""
    seed, start, stop = task
    texts = [document(seed, index) for index in range(start, stop)]
    signatures = signature_matrix(texts, SETTINGS)
    return start, signatures, band_key_matrix(signatures, SETTINGS)


def run(count: int, seed: int, workers: int, scratch: Path) -> dict:
    bands, _ = lsh_shape(SETTINGS)
    signatures = np.lib.format.open_memmap(
        scratch / "signatures.npy", mode="w+", dtype=np.uint32, shape=(count, SETTINGS.num_perm)
    )
    columns = pa.schema([(f"band_{band:02d}", pa.int64()) for band in range(bands)])
    timings = {}
    with PeakMemory(os.getpid()) as memory:
        clock = time.perf_counter()
        tasks = [(seed, start, min(start + BATCH, count)) for start in range(0, count, BATCH)]
        with (
            get_context("spawn").Pool(workers) as pool,
            pq.ParquetWriter(scratch / "bands.parquet", columns) as writer,
        ):
            for start, batch, keys in pool.imap(sign_batch, tasks):
                signatures[start : start + len(batch)] = batch
                writer.write_table(pa.Table.from_arrays(list(keys.T), schema=columns))
        signatures.flush()
        timings["sign"] = time.perf_counter() - clock

        clock = time.perf_counter()
        band_file = pq.ParquetFile(scratch / "bands.parquet")
        pairs = candidate_pairs(
            band_file.read(columns=[name]).column(0).to_numpy() for name in columns.names
        )
        timings["candidates"] = time.perf_counter() - clock

        clock = time.perf_counter()
        similarity = similarities(signatures, pairs)
        verified = pairs[similarity >= SETTINGS.threshold]
        labels = components(count, verified)
        timings["verify+cluster"] = time.perf_counter() - clock

    family = Family(seed, count)
    planted = family.planted_pairs()
    roots = family.roots()
    found = labels[planted[:, 0]] == labels[planted[:, 1]]
    false_pairs = int(np.count_nonzero(roots[verified[:, 0]] != roots[verified[:, 1]]))
    return {
        "documents": count,
        "seconds": sum(timings.values()),
        "timings": timings,
        "peak_mib": memory.peak / 2**20,
        "candidates": len(pairs),
        "verified": len(verified),
        "planted": len(planted),
        "recall": float(found.mean()) if len(found) else 1.0,
        "false_pairs": false_pairs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    bands, rows = lsh_shape(SETTINGS)
    print(
        f"threshold {SETTINGS.threshold}, {SETTINGS.num_perm} permutations, {bands} bands x "
        f"{rows} rows, {SETTINGS.shingle_size}-word shingles; {args.workers} worker processes"
    )
    header = (
        f"{'documents':>10} {'seconds':>8} {'sign':>7} {'cand.':>7} {'verify':>7} {'µs/doc':>7} "
        f"{'peak MiB':>9} {'candidates':>11} {'planted':>8} {'recall':>7} {'false pairs':>12}"
    )
    print(header)
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as scratch:
            result = run(count, args.seed, args.workers, Path(scratch))
        t = result["timings"]
        print(
            f"{count:>10,} {result['seconds']:8.1f} {t['sign']:7.1f} {t['candidates']:7.1f} "
            f"{t['verify+cluster']:7.1f} {1e6 * result['seconds'] / count:7.0f} "
            f"{result['peak_mib']:9.0f} {result['candidates']:11,} {result['planted']:8,} "
            f"{result['recall']:7.4f} {result['false_pairs']:12,}",
            flush=True,
        )


if __name__ == "__main__":
    main()
