"""rensa's MinHash, text to signature, for ``benchmarks/minhash_throughput.py``: rensa 0.5.0 in
the peers' virtual environment (pressroom does not depend on it).

The texts (a JSON list in ``TEXTS``) are shingled as pressroom shingles them (``shingles`` of
``pressroom/dedup/shingles.py``, loaded from its file: the same byte strings), then signed two
ways with rensa's full-set R-MinHash (its ``num_perm`` and ``seed`` as pressroom's):
- ``RMinHash(num_perm, seed).update(shingles)`` then ``digest()``, per document (its README's
  usage);
- ``RMinHash.digest_matrix_from_token_byte_sets`` over all documents at once (its bulk API, on
  ``RAYON_NUM_THREADS`` threads, default one per core).
Prints one JSON line: for each way, its wall and CPU seconds (text to signature; the file's
reading and rensa's import not included).

    build/peers/bin/python benchmarks/peers/rensa_run.py TEXTS [--num-perm 256] [--seed 1]
        [--shingle-size 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections.abc import Callable
from pathlib import Path

from rensa import RMinHash

SHINGLES_MODULE = Path(__file__).resolve().parents[2] / "pressroom" / "dedup" / "shingles.py"


def pressroom_shingles() -> Callable[[str, int], set[bytes]]:
    """pressroom's ``shingles``, from its module's file (it needs the standard library only)."""
    spec = importlib.util.spec_from_file_location("pressroom_shingles", SHINGLES_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.shingles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("texts", type=Path)
    parser.add_argument("--num-perm", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shingle-size", type=int, default=3)
    args = parser.parse_args()
    texts: list[str] = json.loads(args.texts.read_text(encoding="utf-8"))
    shingles = pressroom_shingles()

    def per_document() -> int:
        for text in texts:
            minhash = RMinHash(args.num_perm, args.seed)
            minhash.update(list(shingles(text, args.shingle_size)))
            minhash.digest()
        return len(texts)

    def bulk() -> int:
        sets = [list(shingles(text, args.shingle_size)) for text in texts]
        matrix = RMinHash.digest_matrix_from_token_byte_sets(sets, args.num_perm, args.seed)
        return matrix.len()

    timings = {}
    for name, way in {"per_document": per_document, "bulk": bulk}.items():
        wall, cpu = time.perf_counter(), time.process_time()
        assert way() == len(texts)
        timings[name] = {
            "seconds": time.perf_counter() - wall,
            "cpu_seconds": time.process_time() - cpu,
        }
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
