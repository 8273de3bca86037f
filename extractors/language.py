"""Language identification of extracted text (py3langid; its model ships inside the package)."""

from __future__ import annotations

_MIN_CHARS = 40
_SAMPLE_CHARS = 1000


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short to tell."""
    if len(text) < _MIN_CHARS:
        return None
    import py3langid

    language, _score = py3langid.classify(text[:_SAMPLE_CHARS])
    return language
