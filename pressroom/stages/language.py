"""Language filter: keep only documents in the languages a run asks for (off by default).

The worked example of docs/architecture.md, "Adding a stage": this file and its one line in
``pressroom.stages.filters.FilterSettings``.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class LanguageSettings:
    """Keep only documents detected in ``languages``; the others are quarantined at stage
    ``language``."""

    languages: tuple[str, ...] = ()
    """ISO 639-1 codes, such as "en". Empty (the default): the filter is off."""

    def stage(self) -> LanguageFilter | None:
        return LanguageFilter(self.languages) if self.languages else None
