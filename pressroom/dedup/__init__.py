"""Exact and near-duplicate detection with clusters and a deterministic canonical choice.

The names below are imported from their modules on first use, so that importing one light
module (``dedup.shingles``, for ``content_hash``) does not import numpy, pyarrow and the dataset
readers that clustering needs.
"""

from importlib import import_module

_MODULES = {
    "DedupStats": "pressroom.dedup.clusters",
    "deduplicate": "pressroom.dedup.clusters",
    "History": "pressroom.dedup.history",
    "content_hash": "pressroom.dedup.shingles",
    "hashing_view": "pressroom.dedup.shingles",
    "shingles": "pressroom.dedup.shingles",
    "Reference": "pressroom.dedup.spun",
    "adopt_earlier_spun": "pressroom.dedup.spun",
    "attach_paraphrases": "pressroom.dedup.paraphrase",
    "attach_spun_copies": "pressroom.dedup.spun",
    "earlier_references": "pressroom.dedup.spun",
    "earlier_spun_canonicals": "pressroom.dedup.spun",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    return getattr(import_module(_MODULES[name]), name)
