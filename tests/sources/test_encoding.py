import codecs

import pytest

from pressroom.schemas import StageError
from pressroom.sources.encoding import decode

FRENCH = (
    "Le ministère des Affaires étrangères a publié une déclaration à propos de la coopération "
    "numérique entre les États membres. Les délégués ont salué les efforts communs réalisés "
    "depuis l'été dernier, et ils espèrent que la prochaine réunion sera décisive."
)


def test_utf8_is_taken_as_is():
    assert decode(FRENCH.encode()) == (FRENCH, "utf-8")


def test_bom_wins():
    text, encoding = decode(codecs.BOM_UTF16_LE + FRENCH.encode("utf-16-le"))
    assert (text, encoding) == (FRENCH, "utf-16")


def test_meta_charset_is_used_when_bytes_are_not_utf8():
    page = f'<html><head><meta charset="windows-1252"></head><body><p>{FRENCH}</p>'
    text, encoding = decode(page.encode("cp1252"))
    assert FRENCH in text and encoding == "cp1252"


def test_transport_charset_is_used_when_given():
    text, encoding = decode(FRENCH.encode("latin-1"), declared_charset="iso-8859-1")
    assert text == FRENCH and encoding == "iso8859-1"


def test_utf8_with_a_damaged_byte_is_decoded_as_utf8_not_as_a_legacy_encoding():
    page = f"<p>{FRENCH}</p>".encode() + b"\xff" + "<p>Fin de la déclaration.</p>".encode()
    text, encoding = decode(page)
    assert encoding == "utf-8" and FRENCH in text and "\ufffd" in text


def test_legacy_text_with_few_accents_is_not_taken_for_damaged_utf8():
    page = ("Plain English text about the summit. " * 200 + "Café.").encode("cp1252")
    text, encoding = decode(page)
    assert text.endswith("Café.") and encoding != "utf-8"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (
            "El señor presidente de España dijo que la situación económica mejorará pronto. "
            "Según el ministro, la inflación bajará en los próximos años.",
            "latin-1",
            "cp1252",
        ),
        (
            "Die Regierung hängt an der Entscheidung über die Zukunft. Größere Änderungen müssen "
            "warten, sagte der Minister am Dienstag in Berlin.",
            "latin-1",
            "cp1252",
        ),
        (
            "Ministr zahraničních věcí řekl, že spolupráce mezi členskými státy je důležitá. "
            "Příští týden se sejdou zástupci všech zemí.",
            "cp1250",
            "cp1250",
        ),
    ],
)
def test_undeclared_western_text_prefers_windows_1252_only_when_it_fits(text, encoding, expected):
    assert decode(text.encode(encoding)) == (text, expected)


def test_undeclared_legacy_encoding_is_detected_not_guessed():
    russian = "Министерство иностранных дел опубликовало заявление о сотрудничестве. " * 5
    text, encoding = decode(russian.encode("cp1251"))
    assert text == russian and encoding == "cp1251"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7 binary", "looks like a PDF document"),
        (b"\x00\x01\x02\x03" * 100, "control bytes"),
        (bytes(range(0x80, 0x100)) * 16, "invalid UTF-8 (byte 0x80 at offset 0)"),
    ],
)
def test_binary_and_undecodable_bytes_raise_a_decode_error(content, reason):
    with pytest.raises(StageError) as caught:
        decode(content)
    assert caught.value.stage == "decode"
    assert reason in caught.value.message
