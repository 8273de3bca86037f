"""The labelled set: the corpus articles and their variants, extracted, then taken through the
pipeline's stages before deduplication."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass

from benchmarks.near_duplicates.corpus import Pool, extract_all
from benchmarks.near_duplicates.variants import MIN_PARAGRAPHS, MIN_WORDS, Label, VariantBuilder
from pressroom.pipeline import build_stages, run_chunk
from pressroom.schemas import Document
from pressroom.settings import IngestSettings
from pressroom.stages.boilerplate import SiteBoilerplate
from pressroom.stages.dedup import Deduplicate


@dataclass
class LabelledSet:
    seed: int
    docs: list[Document]
    labels: dict[str, Label]
    """doc_id -> label."""
    failures: Counter[str]
    """Variant kind -> variants whose extraction failed (left out)."""
    boilerplate_cleaned: int
    extract_s: float

    @property
    def groups(self) -> dict[str, str]:
        """doc_id -> group."""
        return {d.doc_id: self.labels[d.doc_id].group for d in self.docs}


def build_labelled_set(
    pool: Pool,
    sources: int,
    seed: int,
    jobs: int,
    issuers: int = 30,
    issuer_size: int = 5,
    boilerplate: bool = True,
) -> LabelledSet:
    """Variants of ``sources`` random articles and ``issuers`` release series, extracted and
    labelled, with every corpus article as it is."""
    clock = time.perf_counter()
    rng = random.Random(seed)
    eligible = [
        name
        for name, s in sorted(pool.sources.items())
        if len(s.body) >= MIN_PARAGRAPHS and len(s.doc.text.split()) >= MIN_WORDS
    ]
    chosen = sorted(rng.sample(eligible, min(sources, len(eligible))))
    builder = VariantBuilder(pool.sources, seed)
    variants = [v for name in chosen for v in builder.variants(pool.sources[name])]
    variants += builder.issuer_series(issuers, issuer_size)
    variant_docs = extract_all([v.raw for v in variants], jobs)

    docs, labels, failures = [], {}, Counter()
    for name, source in pool.sources.items():
        docs.append(source.doc)
        labels[source.doc.doc_id] = Label(name, "original", source.site)
    for variant, doc in zip(variants, variant_docs, strict=True):
        if isinstance(doc, Document):
            docs.append(doc)
            labels[doc.doc_id] = variant.label
        else:
            failures[variant.label.kind] += 1
    docs, cleaned = prepare(docs, boilerplate)
    return LabelledSet(seed, docs, labels, failures, cleaned, time.perf_counter() - clock)


def prepare(docs: list[Document], boilerplate: bool = True) -> tuple[list[Document], int]:
    """The pipeline's stages between extraction and deduplication (``pipeline.build_stages``:
    repeated input dropped, site boilerplate removed unless ``boilerplate`` is false, texts
    repaired); returns the documents and how many lost boilerplate lines."""
    stages = [
        stage
        for stage in build_stages(IngestSettings(workers=os.cpu_count() or 1))
        if not isinstance(stage, Deduplicate)
        and (boilerplate or not isinstance(stage, SiteBoilerplate))
    ]
    result = run_chunk(docs, stages)
    return result.docs, sum(stage.stats.counts["cleaned"] for stage in stages)
