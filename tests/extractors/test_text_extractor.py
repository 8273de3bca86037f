from datetime import datetime

import pytest

from pressroom.extractors import extract_text
from pressroom.extractors.patterns import is_boilerplate, parse_date_line
from pressroom.extractors.text import HEADER_LINE_SEPARATOR
from pressroom.repair import normalize_text
from tests.conftest import SAMPLES

FURNITURE = [
    "Skip navigation",
    "Leave a Comment",
    "Must read",
    "More articles",
    "Latest article",
    "PHOTOS: US, S. Korea, Japan to curb illicit N Korea cyber activities",
    "Hit : 300",
    "© The Asia Business Daily(www.asiae.co.kr). All rights reserved.",
    "1. HOME",
    "2. Press",
    "Vice Ministers 상세보기",
    "Countries Information",
    "/end/",
]


def seed(prefix: str):
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return extract_text(normalize_text(path.read_text()))


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_bodies_keep_no_page_furniture(prefix):
    lines = {line.strip() for line in seed(prefix).text.splitlines()}
    assert not lines & set(FURNITURE)
    assert not any(line.startswith(("Date :", "• Date", "Hit :", "PHOTOS:")) for line in lines)


@pytest.mark.parametrize(
    ("prefix", "title", "published_at"),
    [
        (
            "000",
            "Korea Hosts Meeting as Chair Nation... Adoption of Joint Statement by 63 Countries",
            None,
        ),
        (
            "001",
            "Joint Assertion on the usage of Info and Communications Expertise within the "
            "context of Worldwide Peace and Safety",
            datetime(2024, 6, 20),
        ),
        ("002", "U.S., South Korea, Japan to curb illicit North Korea cyber activities", None),
        (
            "003",
            "Statement by H.E. Ambassador YAMAZAKI Kazuyuki, Permanent Representative of Japan "
            "to the United Nations, at the Security Council High-Level Open Debate on "
            "“Maintenance of International Peace and Security: Addressing Evolving Threats in "
            "Cyberspace”",
            datetime(2024, 6, 20),
        ),
        (
            "004",
            "2nd Vice Minister's Remarks on the occasion of the first meeting of the Warsaw "
            "Process Working Group on Cybersecurity Seoul, October 7, 2019",
            datetime(2019, 10, 8, 13, 50, 59),
        ),
    ],
)
def test_seed_titles_and_dates(prefix, title, published_at):
    extraction = seed(prefix)
    assert extraction.title == title
    assert extraction.published_at == published_at


def test_release_header_moves_into_metadata_and_repeated_title_goes():
    extraction = seed("001")
    # "For Instant Launch" is a spun release status the patterns do not know: it stays an issuer
    # line until repair restores it and moves it to release_status (tests/stages/test_pipeline.py)
    assert extraction.issuer == HEADER_LINE_SEPARATOR.join(
        [
            "United States Mission to the United Nations",
            "Workplace of Press and Public Diplomacy",
            "For Instant Launch",
        ]
    )
    assert extraction.release_status is None
    assert extraction.text.startswith("(The next is a joint assertion")
    assert "June 20, 2024" not in extraction.text


def test_bodies_start_and_end_where_the_article_does():
    assert seed("003").text.startswith("Mr. President,")
    assert seed("003").text.endswith("I thank you.")
    assert seed("004").text.startswith("Remarks by H.E. Amb. Lee Taeho")
    assert seed("004").text.endswith("Thank you.")
    assert seed("000").text.endswith('harm our security."')


def test_for_immediate_release_header():
    text = (
        "Ministry Welcomes New Cyber Agreement\nMinistry of Foreign Affairs\nPress Office\n"
        "FOR IMMEDIATE RELEASE\nMarch 3, 2025\n\nThe Ministry today welcomed the agreement."
    )
    extraction = extract_text(text)
    assert extraction.release_status == "FOR IMMEDIATE RELEASE"
    assert extraction.issuer == "Ministry of Foreign Affairs; Press Office"
    assert extraction.published_at == datetime(2025, 3, 3)
    assert extraction.text == "The Ministry today welcomed the agreement."


def test_short_lines_without_a_date_anchor_stay_in_the_body():
    text = "A Statement On Cyber Norms Today\nMr. President,\nThank you for the floor."
    assert extract_text(text).text == "Mr. President,\n\nThank you for the floor."


def test_paragraph_breaks_are_consistent():
    one_per_line = extract_text("A Title For The Page\nFirst paragraph.\nSecond paragraph.")
    blank_lines = extract_text("A Title For The Page\n\nFirst paragraph.\n\n\n\nSecond paragraph.")
    assert one_per_line.text == blank_lines.text == "First paragraph.\n\nSecond paragraph."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("June 20, 2024", datetime(2024, 6, 20)),
        ("Date : 2019-10-08 13:50:59", datetime(2019, 10, 8, 13, 50, 59)),
        ("20 June 2024", datetime(2024, 6, 20)),
        ("Sept. 3, 2021", datetime(2021, 9, 3)),
        ("Tuesday, June 18, 2024", datetime(2024, 6, 18)),
        ("Posted on 2024/06/20", datetime(2024, 6, 20)),
        ("Seoul, October 7, 2019", None),
        ("June 2024 was a busy month for the council.", None),
    ],
)
def test_date_lines(line, expected):
    assert parse_date_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "We will comment on the draft resolution next week.",
        "Copyright law was discussed at length by the delegates.",
        "The view counter of public trust is a metaphor.",
        "Share prices fell sharply after the announcement.",
    ],
)
def test_content_mentioning_furniture_words_is_kept(line):
    assert not is_boilerplate(line)
