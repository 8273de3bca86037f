"""Exact and near-duplicate detection with clusters and a deterministic canonical choice.

The names below are imported from their modules on first use, so that importing one light
module (``dedup.shingles``, for ``content_hash``) does not import numpy, pyarrow and the dataset
readers that clustering needs.
"""

from importlib import import_module

_MODULES = {
    "DedupStats": "dedup.clusters",
    "deduplicate": "dedup.clusters",
    "History": "dedup.history",
    "content_hash": "dedup.shingles",
    "hashing_view": "dedup.shingles",
    "shingles": "dedup.shingles",
    "Reference": "dedup.spun",
    "adopt_earlier_spun": "dedup.spun",
    "attach_paraphrases": "dedup.paraphrase",
    "attach_spun_copies": "dedup.spun",
    "earlier_references": "dedup.spun",
    "earlier_spun_canonicals": "dedup.spun",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    return getattr(import_module(_MODULES[name]), name)
