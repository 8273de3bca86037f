"""Turn raw bytes into text: BOM, UTF-8, a declared charset, then detection (charset-normalizer).

Bytes that are binary, or that no encoding explains, raise :class:`StageError` (stage "decode").
"""

from __future__ import annotations

import codecs
import re

from pressroom.schemas import StageError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = {
    b"%PDF": "PDF document",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP archive",
    b"\x1f\x8b": "gzip data",
    b"\x7fELF": "ELF executable",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_CONTROL = (
    bytes(range(0, 9)) + b"\x0b\x0e\x0f" + bytes(range(0x10, 0x1B)) + bytes(range(0x1C, 0x20))
)
_MAX_CHAOS = 0.25
_WINDOWS_1252 = "cp1252"


def decode(content: bytes, declared_charset: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for the bytes of one page."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content.decode(encoding, errors="strict"), encoding.removesuffix("-sig")
    _refuse_binary(content)
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    if _mostly_utf8(content):
        return content.decode("utf-8", errors="replace"), "utf-8"
    for encoding in _declared(content, declared_charset):
        try:
            return content.decode(encoding), codecs.lookup(encoding).name
        except (LookupError, UnicodeDecodeError):
            continue
    detected = _detect(content)
    if detected is not None:
        return detected
    bad = content[utf8_error.start : utf8_error.start + 1].hex()
    raise StageError(
        "decode",
        f"undecodable bytes: invalid UTF-8 (byte 0x{bad} at offset {utf8_error.start}) "
        "and no other encoding fits the content",
        "undecodable",
    )


def _detect(content: bytes) -> tuple[str, str] | None:
    """charset-normalizer's reading of the bytes, or None when no encoding fits well.

    Single-byte Western text often fits several code pages equally well (cp1250 turns "ñ" into
    "ń"); then windows-1252 wins, the web's common legacy encoding (WHATWG reads latin-1 as it).
    """
    from charset_normalizer import from_bytes

    matches = from_bytes(content)
    best = matches.best()
    if best is None or best.chaos > _MAX_CHAOS:
        return None
    if _WINDOWS_1252 in best.could_be_from_charset:
        return str(best), _WINDOWS_1252
    for match in matches:
        if (
            match.encoding == _WINDOWS_1252
            and match.chaos <= best.chaos
            and match.coherence >= best.coherence
        ):
            return str(match), _WINDOWS_1252
    return str(best), best.encoding


def _mostly_utf8(content: bytes) -> bool:
    """UTF-8 with a few damaged bytes (as browsers decode it), not a legacy encoding.

    Legacy 8-bit text (cp1252, ...) has almost no valid multi-byte sequences, so it fails the
    second test even when it has very few non-ASCII bytes.
    """
    text = content.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid_non_ascii = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return invalid <= max(1, len(content) // 1000) and valid_non_ascii >= 10 * invalid


def _refuse_binary(content: bytes) -> None:
    for magic, kind in _MAGIC.items():
        if content.startswith(magic):
            raise StageError(
                "decode", f"binary content, not a text page (looks like a {kind})", "undecodable"
            )
    sample = content[:8192]
    control = sum(sample.count(bytes([c])) for c in _CONTROL)
    if b"\x00" in sample or control > len(sample) * 0.05:
        share = control / max(len(sample), 1)
        raise StageError(
            "decode",
            f"binary content, not a text page ({share:.0%} control bytes in the first "
            f"{len(sample):,} bytes)",
            "undecodable",
        )


def _declared(content: bytes, declared_charset: str | None) -> list[str]:
    """Charsets the page or its transport declares, most trusted first."""
    found = [declared_charset] if declared_charset else []
    head = content[:4096]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        match = pattern.search(head)
        if match:
            found.append(match.group(1).decode("ascii", "ignore"))
    return found


def charset_parameter(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, if any."""
    for parameter in (content_type or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
