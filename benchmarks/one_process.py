"""pressroom's ingest pipeline as plain function calls in one process: no Prefect, no sandbox
processes (the one-process figure that ``benchmarks/throughput.py`` compares ``pressroom
ingest`` with).

Each page is read and extracted here (``process_document``; a page that fails is quarantined as
the extraction stage does), then the pages go chunk by chunk through ``pipeline.run_chunk`` with
``workers=1`` (repair in this process) and are written to the dataset at ``OUT``. Prints one
JSON line: pages read, documents extracted and documents written.

    .venv/bin/python benchmarks/one_process.py OUT FILE_OR_FOLDER...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pressroom import pipeline
from pressroom.dataset.dataset import Dataset
from pressroom.run import new_run_id
from pressroom.schemas import Document, QuarantineRecord
from pressroom.settings import IngestSettings
from pressroom.sources import read_file
from pressroom.stages.extract import Extract, process_document


def ingest_one_process(paths: list[str], out: Path) -> dict[str, int]:
    """Ingest ``paths`` into ``out`` in this process; the pages read, documents extracted and
    documents written."""
    settings = IngestSettings(workers=1)  # repair runs in this process
    dataset, run_id, extract = Dataset(out), new_run_id(), Extract(settings.extract)
    stages = pipeline.build_stages(settings, dataset)
    files = pipeline.discover(paths)
    counts = {"read": 0, "extracted": 0, "written": 0}
    for number, start in enumerate(range(0, len(files), settings.chunk_size)):
        docs: list[Document] = []
        failures: list[QuarantineRecord] = []
        for file in files[start : start + settings.chunk_size]:
            for raw in read_file(Path(file), settings.read.max_bytes):
                counts["read"] += 1
                if isinstance(raw, QuarantineRecord):
                    failures.append(raw)
                    continue
                try:
                    docs.append(process_document(raw, settings.extract))
                except Exception as error:  # quarantined, as the extraction sandbox does
                    failures.append(extract.quarantine(raw, error))
        counts["extracted"] += len(docs)
        result = pipeline.run_chunk(docs, stages, failures)
        part = "" if len(files) <= settings.chunk_size else f"{number:04d}"
        written = dataset.write_chunk(result.docs, result.failures, result.changes, run_id, part)
        counts["written"] += written.documents_written
    return counts


if __name__ == "__main__":
    print(json.dumps(ingest_one_process(sys.argv[2:], Path(sys.argv[1]))))
