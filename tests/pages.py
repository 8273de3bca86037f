"""Pages and texts the tests write themselves."""

from __future__ import annotations

from datetime import datetime

from pressroom.dedup.shingles import content_hash
from pressroom.schemas import Document


def article_html(
    title: str, paragraphs: list[str], *, lang: str = "en", extra_head: str = "", nav: bool = True
) -> str:
    """A news-like page: navigation, an article with metadata, a footer."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    menu = (
        (
            "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li>"
            "<li><a href='/about'>About us</a></li></ul></nav>"
        )
        if nav
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} | Example Ministry</title>
{extra_head}</head>
<body>{menu}
<main><article><h1>{title}</h1>
{body}
</article></main>
<footer><p>Copyright 2024 Example Ministry. All rights reserved.</p></footer>
</body></html>"""


PARAGRAPHS = [
    "The Ministry of Foreign Affairs today welcomed the adoption of a joint statement on the "
    "responsible use of information and communications technologies by member states.",
    "The statement, supported by more than sixty countries, calls on the Security Council to "
    "address cyber threats to international peace and security in a regular manner.",
    "Officials said that capacity building remains essential for developing countries, which "
    "face growing risks to critical infrastructure such as power grids and hospitals.",
    "The ministry will continue to work with partners to implement agreed norms of responsible "
    "state behaviour and to strengthen confidence-building measures in the region.",
]


def document(doc_id: str, text: str, published_at: datetime | None = None) -> Document:
    """An English plain-text document as extraction leaves it (no cluster fields yet)."""
    return Document(
        doc_id=doc_id,
        source_uri=f"/in/{doc_id}.txt",
        raw_path=f"/in/{doc_id}.txt",
        raw_offset=None,
        url=None,
        title=None,
        published_at=published_at,
        author=None,
        site=None,
        language="en",
        issuer=None,
        release_status=None,
        text=text,
        content_hash=content_hash(text),
        encoding="utf-8",
        extractor="text",
    )
