from pressroom.repair import normalize_text


def test_mojibake_is_repaired():
    assert normalize_text("The â€œSecurity Councilâ€\x9d met todayâ€™s delegates") == (
        "The “Security Council” met today’s delegates"
    )


def test_typography_is_kept():
    text = "“Quoted” — it’s fine…"
    assert normalize_text(text) == text


def test_odd_spaces_invisible_characters_and_nfc():
    text = "Caf\u0065\u0301\u00a0au\u2009lait\u200b, in\u00adline  and\u3000more"
    assert normalize_text(text) == "Café au lait, inline and more"


def test_line_breaks_are_unified_and_blank_runs_collapsed():
    assert normalize_text("one\r\ntwo\rthree\u2028four\n\n\n\nfive  \n") == (
        "one\ntwo\nthree\nfour\n\nfive"
    )
