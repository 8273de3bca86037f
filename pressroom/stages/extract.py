"""Extraction: a raw page becomes a document (decoded; body, title and metadata extracted)."""

from __future__ import annotations

from pressroom.extractors.settings import ExtractSettings
from pressroom.process import process_document, warm_up
from pressroom.schemas import Document, RawDocument
from pressroom.stages.base import DocumentStage


class Extract(DocumentStage):
    """Decode and extract each raw page in a sandbox, within ``ExtractSettings.timeout_s``."""

    name = "extract"
    noun = "extraction"
    unit = "files"
    preload = ("pressroom.extraction_preload",)
    reports_each = False  # the reader reports files (``pressroom.pipeline.extract_files``)

    def __init__(self, settings: ExtractSettings = ExtractSettings(), workers: int = 1):
        super().__init__()
        self.settings = settings
        self.timeout_s = settings.timeout_s
        self.workers = workers

    def process(self, doc: RawDocument) -> Document:
        return process_document(doc, self.settings)

    def warm_up(self) -> None:
        warm_up()
