"""The real-page spin set: its manifest holds together, and the gold-substitution rule of
``benchmarks/real_spin.py`` does what its docstring says."""

from __future__ import annotations

import real_spin
from spin_metrics import words


def test_manifest_rows_have_files_roles_and_the_fixed_split():
    pages = real_spin.read_manifest()  # raises on a missing file, a bad role or split
    assert len({p.id for p in pages}) == len(pages)
    originals = real_spin.originals_by_pair(pages)
    for page in pages:
        if page.role in ("spun", "paraphrase"):
            assert page.pair in originals, page.id
        assert page.split == real_spin.split_of(page.pair or page.id)
    for half in real_spin.SPLITS:
        roles = {p.role for p in pages if p.split == half}
        assert {"spun", "original", "clean", "paraphrase"} <= roles, half


def test_gold_substitutions_skip_furniture_and_long_rewrites():
    spun = words(
        "Home Menu Login. The variety of Florida hospital inpatients with COVID-19 elevated "
        "almost 17 p.c during the past week. This entire sentence was written again by the site "
        "with many new words added. The information also showed 178 COVID-19 sufferers were in "
        "intensive-care units, up from 166 a week earlier."
    )
    original = words(
        "The number of Florida hospital inpatients with COVID-19 increased nearly 17 percent "
        "during the past week. The data also showed 178 COVID-19 patients were in "
        "intensive-care units, up from 166 a week earlier. Read more"
    )
    alignment = real_spin.align(spun, original)
    found = {(" ".join(spun[a:b]), " ".join(after)) for a, b, after in alignment.gold}
    assert found == {
        ("variety", "number"),
        ("elevated almost", "increased nearly"),
        ("p c", "percent"),
        ("sufferers", "patients"),
    }
    rewritten = {w for a, b in alignment.excluded for w in spun[a:b]}
    assert {"entire", "written", "information"} <= rewritten  # a long run, not a substitution
    assert not alignment.scores((0, 2, ("x",)))  # leading furniture is not scored
    assert alignment.scores((4, 5, ("x",)))  # "variety", just before the first anchor


def test_partial_restoration_is_consistent_but_not_exact():
    alignment = real_spin.Alignment(frozenset({(3, 6, ("percent", "during"))}), 0, 10, ())
    assert alignment.consistent((3, 5, ("percent",)))
    assert alignment.consistent((3, 6, ("percent", "during")))
    assert not alignment.consistent((3, 5, ("per", "cent")))
    assert not alignment.consistent((2, 5, ("percent",)))


def test_every_role_and_half_has_pages_and_urls_are_unique():
    pages = real_spin.read_manifest()  # raises when two rows share a URL
    assert len({p.url for p in pages}) == len(pages)
    spun_groups = {p.pair for p in pages if p.role == "spun"}
    pairs = {p.pair for p in pages if p.role == "paraphrase"}
    for half in real_spin.SPLITS:
        assert {p.pair for p in pages if p.role == "paraphrase" and p.split == half}, half
    assert len(spun_groups) >= 20 and len(pairs) >= 9


def test_paraphrase_pages_go_in_as_warc_records_that_carry_their_url(tmp_path):
    from pressroom.sources.local import read_file
    from pressroom.stages.extract import process_document
    from pressroom.web.archive import write_warc

    url = "https://www.example.gov/news/2024/release-1"
    text = (
        "Ministry announces a new programme for schools & libraries\n\n"
        "The ministry said on Monday that every school will receive new books this year.\n"
        "Officials said the programme starts in September and covers 2,000 schools."
    )
    write_warc(tmp_path / "pages.warc.gz", [real_spin.crawl_record(url, text)])
    (raw,) = list(read_file(tmp_path / "pages.warc.gz", max_bytes=1 << 20))
    assert raw.url == raw.source_uri == url
    doc = process_document(raw)
    assert doc.url == url
    assert "every school will receive new books" in doc.text
    assert "schools & libraries" in doc.text
