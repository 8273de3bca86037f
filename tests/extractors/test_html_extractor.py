import pytest

from pressroom.extractors import extract_html
from pressroom.extractors.patterns import is_html_furniture, is_related_heading
from tests.pages import PARAGRAPHS, article_html

LEAD = "The ministry will fund forty new rural clinics over the next three years, it said."


def page_with_lead(*, shown: bool) -> str:
    head = f'<meta name="description" content="{LEAD}">'
    html = article_html("Clinics for rural districts", PARAGRAPHS, extra_head=head)
    if shown:  # a standfirst outside the article container
        html = html.replace("<main>", f'<main><div class="teaser"><p>{LEAD}</p></div>')
    return html


def test_lead_shown_on_the_page_is_kept_first():
    text = extract_html(page_with_lead(shown=True)).text
    assert text.splitlines()[0] == LEAD
    assert text.count(LEAD) == 1


def test_description_only_in_the_head_is_not_added():
    assert LEAD not in extract_html(page_with_lead(shown=False)).text


def test_related_link_list_is_dropped_and_the_paragraph_after_it_kept():
    links = "".join(f"<li>Other headline number {i}</li>" for i in range(4))
    after = "The minister also thanked the regional health boards for their cooperation."
    paragraphs = [*PARAGRAPHS[:2], f"Read also:</p><ul>{links}</ul><p>{after}"]
    text = extract_html(article_html("Clinics", paragraphs)).text
    assert "Other headline" not in text
    assert "Read also" not in text
    assert after in text


@pytest.mark.parametrize(
    "line",
    ["Related articles:", "Lesen Sie auch", "Das könnte Sie auch interessieren:", "À lire aussi"],
)
def test_related_headings(line):
    assert is_related_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "Read more: Looted colonial art returns to Nigeria",
        "Czytaj też: Wyścig zbrojeń ruszył z kopyta",
        "Titelbild: Geyres Christophe/ABACA/picture-alliance",
        "(Credit: Clayton Aldern / Grist)",
    ],
)
def test_html_furniture_lines(line):
    assert is_html_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Related research was published by the institute in May.",
        "Read more about the programme on page 4 of the annual report, which was published today.",
        "Photos taken by the inspectors show the damage to the bridge.",
    ],
)
def test_content_is_not_html_furniture(line):
    assert not is_related_heading(line)
    assert not is_html_furniture(line)


def test_a_copyright_year_is_not_taken_for_the_publication_date():
    extraction = extract_html(article_html("Undated statement", PARAGRAPHS))
    assert "Copyright 2024" in article_html("x", [])
    assert extraction.published_at is None


def test_fallback_extractor_ignores_the_head_and_finds_block_text():
    from pressroom.extractors import extract_html_fallback

    html = "<html><head><title>Only a title</title></head><body><nav>Menu</nav>"
    html += "<article><p>First block.</p><p>Second block.</p></article></body></html>"
    extraction = extract_html_fallback(html)
    assert extraction.text == "First block.\nSecond block."
    assert extraction.title == "Only a title"
    assert extract_html_fallback("<html><head><title>T</title></head></html>").text == ""
