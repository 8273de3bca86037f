"""Article extraction: HTML (trafilatura, BeautifulSoup fallback) and scraped plain text."""

from extractors.html import extract_html, extract_html_fallback
from extractors.language import detect_language
from extractors.text import extract_text

__all__ = ["detect_language", "extract_html", "extract_html_fallback", "extract_text"]
