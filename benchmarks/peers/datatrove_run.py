"""datatrove's version of the ingest, for ``benchmarks/throughput.py``: gzipped HTML pages to a
near-deduplicated Parquet dataset, with datatrove 0.10.1 in the peers' virtual environment.

Two pipelines on ``--workers`` local processes, as datatrove's MinHash example composes them:
1. read each ``*.html.gz`` page (decoded as trafilatura decodes bytes), extract it with
   datatrove's ``Trafilatura`` step (trafilatura's defaults as pressroom calls them: tables
   kept, no precision bias, no trafilatura deduplication; pressroom's 20 s time limit), write
   the extracted documents to Parquet and compute their MinHash signatures (stage 1);
2. the signature buckets (stage 2), the duplicate clusters (stage 3), then the extracted
   Parquet filtered of the duplicates into the output Parquet (stage 4).

Prints one JSON line: documents extracted and documents kept. Run with the peers' Python:

    build/peers/bin/python benchmarks/peers/datatrove_run.py CORPUS OUT [--workers 2]
        [--n-grams 3] [--buckets 46] [--rows 4]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.pipeline.writers import ParquetWriter
from trafilatura.utils import decode_file


class HtmlGzReader(BaseDiskReader):
    """One document per gzipped HTML file: its decoded page as the text."""

    name = "html.gz"

    def read_file(self, filepath: str):
        with self.data_folder.open(filepath, "rb") as file:
            html = decode_file(gzip.decompress(file.read()))
        document = self.get_document_from_dict({"text": html, "id": filepath}, filepath, 0)
        if document:
            yield document


def run(corpus: Path, out: Path, workers: int, config: MinhashConfig) -> dict[str, int]:
    """Both pipelines, one after the other; the documents extracted and kept."""
    extracted, minhash, logs = out / "extracted", out / "minhash", out / "logs"
    executors = [
        LocalPipelineExecutor(
            [
                HtmlGzReader(str(corpus), glob_pattern="**/*.html.gz"),
                Trafilatura(
                    favour_precision=False, timeout=20.0, deduplicate=False, include_tables=True
                ),
                ParquetWriter(str(extracted)),
                MinhashDedupSignature(str(minhash / "signatures"), config=config),
            ],
            tasks=workers,
            workers=workers,
            logging_dir=str(logs / "signatures"),
        ),
        LocalPipelineExecutor(
            [
                MinhashDedupBuckets(
                    str(minhash / "signatures"), str(minhash / "buckets"), config=config
                )
            ],
            tasks=config.num_buckets,
            workers=workers,
            logging_dir=str(logs / "buckets"),
        ),
        LocalPipelineExecutor(
            [
                MinhashDedupCluster(
                    str(minhash / "buckets"), str(minhash / "remove_ids"), config=config
                )
            ],
            tasks=1,
            logging_dir=str(logs / "clusters"),
        ),
        LocalPipelineExecutor(
            [
                ParquetReader(str(extracted)),
                MinhashDedupFilter(str(minhash / "remove_ids")),
                ParquetWriter(str(out / "dataset")),
            ],
            tasks=workers,
            workers=workers,
            logging_dir=str(logs / "filter"),
        ),
    ]
    for executor in executors:
        executor.run()
    return {
        "extracted": _rows(extracted),
        "kept": _rows(out / "dataset"),
    }


def _rows(folder: Path) -> int:
    return sum(pq.ParquetFile(file).metadata.num_rows for file in folder.glob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n-grams", type=int, default=3, help="words per shingle")
    parser.add_argument("--buckets", type=int, default=46, help="LSH bands")
    parser.add_argument("--rows", type=int, default=4, help="hashes per band")
    args = parser.parse_args()
    config = MinhashConfig(
        n_grams=args.n_grams, num_buckets=args.buckets, hashes_per_bucket=args.rows
    )
    print(json.dumps(run(args.corpus.resolve(), args.out.resolve(), args.workers, config)))


if __name__ == "__main__":
    main()
