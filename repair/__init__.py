"""Repairs of garbled text: mojibake and Unicode damage."""

from repair.unicode import normalize_text

__all__ = ["normalize_text"]
