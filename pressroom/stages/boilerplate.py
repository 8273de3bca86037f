"""Input given twice, and lines that recur across one site's pages."""

from __future__ import annotations

from dataclasses import replace

from pressroom.dedup.shingles import content_hash
from pressroom.extractors.recurring import learn_recurring_lines, remove_recurring_lines, site_key
from pressroom.extractors.settings import BoilerplateSettings
from pressroom.schemas import Document
from pressroom.stages.base import Stage, StageOutput
from pressroom.stages.extract import EMPTY_BODY


class DropRepeated(Stage):
    """Keep one of each ``doc_id`` (the same source and bytes given twice); count ``repeated``."""

    name = "repeated"
    counted = ("repeated",)

    def process_batch(self, docs: list[Document]) -> StageOutput:
        unique = {doc.doc_id: doc for doc in reversed(docs)}
        kept = [doc for doc in docs if unique.get(doc.doc_id) is doc]
        self.count("repeated", len(docs) - len(kept))
        return StageOutput(kept)


class SiteBoilerplate(Stage):
    """Strip lines learned as boilerplate because they recur across one site's documents; a
    document left empty is quarantined. Counts ``cleaned``: documents that lost a line."""

    name = "boilerplate"
    counted = ("cleaned",)

    def __init__(self, settings: BoilerplateSettings = BoilerplateSettings()):
        super().__init__()
        self.settings = settings

    def process_batch(self, docs: list[Document]) -> StageOutput:
        recurring = learn_recurring_lines(docs, self.settings)
        output = StageOutput([])
        for doc in docs:
            lines = recurring.get(site_key(doc))
            text = remove_recurring_lines(doc.text, lines) if lines else doc.text
            if text != doc.text:
                self.count("cleaned")
            if not text:
                reason = f"{EMPTY_BODY}: every line recurs across the site's pages"
                output.failures.append(self.quarantine(doc, reason, "empty"))
            elif text == doc.text:
                output.docs.append(doc)
            else:
                output.docs.append(replace(doc, text=text, content_hash=content_hash(text)))
        return output
