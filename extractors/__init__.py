"""Article extraction: HTML (trafilatura, BeautifulSoup fallback) and scraped plain text."""

from pressroom.extractors.html import extract_html, extract_html_fallback
from pressroom.extractors.language import detect_language
from pressroom.extractors.text import extract_text

__all__ = ["detect_language", "extract_html", "extract_html_fallback", "extract_text"]
