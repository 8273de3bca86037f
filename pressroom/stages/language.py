"""Language filter: keep only documents in the languages a run asks for (off by default).

The worked example of docs/architecture.md, "Adding a stage": this file, one line in
``pressroom.pipeline.build_stages`` and one field in ``IngestSettings``.
"""

from __future__ import annotations

from pressroom.schemas import Document
from pressroom.stages.base import Filter


class LanguageFilter(Filter):
    """Drop documents whose detected language is not one of ``languages``; a dropped document is
    quarantined at stage ``language`` with the language it was found in."""

    name = "language"

    def __init__(self, languages: tuple[str, ...]):
        super().__init__()
        self.languages = languages

    def keep(self, doc: Document) -> bool | str:
        if doc.language in self.languages:
            return True
        return f"language {doc.language or 'unknown'} is not one of {', '.join(self.languages)}"
