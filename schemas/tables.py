"""Parquet schemas of the output tables (``OUT/documents``, ``OUT/quarantine``,
``OUT/cluster_changes``).

Changes are additive only: new nullable columns may be appended and ``SCHEMA_VERSION``'s minor
number is raised; renaming, retyping or removing a column raises the major number.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1.7"
"""1.3: same columns as 1.2; ``minhash``/``lsh_bands`` use the vectorised hash family.
1.4: ``repairs`` and ``spin_flags`` entries name the column they apply to (``field``); title and
header fields are repaired too. In rows written before 1.4 it is null, meaning ``text``.
1.5: ``paraphrase_keys``, the anchor keys by which later runs find the original of a paraphrased
copy (``dedup.paraphrase``); null in earlier rows and on documents that are not English
canonicals.
1.6: quarantine ``reason``, the kind of failure (``schemas.records.QuarantineReason``); null in
earlier rows.
1.7: the tables are Delta Lake tables; ``ingest_month`` (the partition, a folder name before) is a
column of documents and quarantine, and a document's ``is_canonical``/``duplicate_of`` are kept
current in place when a later run replaces its cluster's canonical. ``runs`` holds the
manifests."""

_META = {b"pressroom.schema_version": SCHEMA_VERSION.encode()}

REPAIR = pa.struct(
    [
        pa.field("start", pa.int32()),
        pa.field("end", pa.int32()),
        pa.field("before", pa.string()),
        pa.field("after", pa.string()),
        pa.field("method", pa.string()),
        pa.field("confidence", pa.float32()),
        pa.field("field", pa.string()),  # 1.4
    ]
)
"""One edit; ``start``/``end`` locate ``after`` in the repaired column ``field``."""

SPAN_FLAG = pa.struct(
    [
        pa.field("start", pa.int32()),
        pa.field("end", pa.int32()),
        pa.field("span", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("score", pa.float32()),
        pa.field("field", pa.string()),  # 1.4
    ]
)
"""A span that looks spun but was not rewritten; ``start``/``end`` locate it in ``field``."""

STRUCT_FIELD_DEFAULTS = {("repairs", "field"): "text", ("spin_flags", "field"): "text"}
"""What a list-of-struct field holds in rows written before it existed: repairs and flags of
schema 1.3 and earlier applied to the body. ``pressroom migrate`` fills it in."""

DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("raw_path", pa.string(), nullable=False),
        pa.field("raw_offset", pa.int64()),
        pa.field("url", pa.string()),
        pa.field("title", pa.string()),
        pa.field("published_at", pa.timestamp("us")),
        pa.field("author", pa.string()),
        pa.field("site", pa.string()),
        pa.field("language", pa.string()),
        pa.field("issuer", pa.string()),
        pa.field("release_status", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("encoding", pa.string()),
        pa.field("extractor", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("is_canonical", pa.bool_(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("dup_kind", pa.string()),
        pa.field("similarity", pa.float32()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("schema_version", pa.string(), nullable=False),
        # 1.1: the repair audit trail
        pa.field("extracted_text", pa.string()),
        pa.field("repairs", pa.list_(REPAIR)),
        pa.field("spin_score", pa.float32()),
        pa.field("is_spun", pa.bool_()),
        pa.field("spin_flags", pa.list_(SPAN_FLAG)),
        # 1.2: what later runs deduplicate against (see pressroom/dedup/history.py)
        pa.field("minhash", pa.binary()),
        pa.field("lsh_bands", pa.list_(pa.int64())),
        # 1.5: what later runs match paraphrased copies against (see
        # pressroom/dedup/paraphrase.py), kept
        # before text_length (1.2, derived at write); readers select columns by name
        pa.field("paraphrase_keys", pa.list_(pa.int64())),
        pa.field("text_length", pa.int32()),
        pa.field("ingest_month", pa.string()),  # 1.7: the partition, YYYY-MM
    ],
    metadata=_META,
)

CLUSTER_CHANGES = pa.schema(
    [
        pa.field("change_id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("previous_canonical", pa.string(), nullable=False),
        pa.field("canonical", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("changed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("schema_version", pa.string(), nullable=False),
    ],
    metadata=_META,
)
"""A cluster whose canonical changed in a later run (``OUT/cluster_changes``), the audit of the
in-place updates that the same chunk's commit made to the documents table."""

QUARANTINE = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("raw_path", pa.string(), nullable=False),
        pa.field("raw_offset", pa.int64()),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
        pa.field("reason", pa.string()),  # since 1.6
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("quarantined_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("schema_version", pa.string(), nullable=False),
        pa.field("ingest_month", pa.string()),  # 1.7: the partition, YYYY-MM
    ],
    metadata=_META,
)

RUNS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("started_at", pa.timestamp("us", tz="UTC")),
        pa.field("finished_at", pa.timestamp("us", tz="UTC")),
        pa.field("manifest", pa.string(), nullable=False),
    ],
    metadata=_META,
)
"""One row per run (the Delta table ``OUT/manifests``, 1.7): its manifest as JSON, as in
``OUT/runs/<run_id>.json``; the commit that adds it carries the run id and counts too."""
