from pressroom.extractors.recurring import learn_recurring_lines, remove_recurring_lines
from pressroom.settings import BoilerplateSettings
from pressroom.stages.boilerplate import SiteBoilerplate
from tests.dedup.test_dedup import doc

FOOTER = "Subscribe to the Daily Briefing"


def site_docs(n: int, footer: bool = True):
    docs = []
    for i in range(n):
        text = f"Article number {i} reports on topic {i * 7} in some detail.\n\nBody {i} text."
        if footer:
            text += f"\n\n{FOOTER}"
        item = doc(f"d{i}", text)
        item.url = f"https://news.example.com/story/{i}"
        docs.append(item)
    return docs


def test_lines_recurring_across_a_sites_pages_are_learned_and_removed():
    docs = site_docs(6)
    recurring = learn_recurring_lines(docs)
    assert recurring == {"news.example.com": {FOOTER.casefold()}}
    stage = SiteBoilerplate()
    output = stage.run(docs)
    assert stage.stats.counts["cleaned"] == 6 and not output.failures
    assert all(FOOTER not in d.text for d in output.docs)
    assert output.docs[0].content_hash != docs[0].content_hash


def test_too_few_pages_teach_nothing():
    assert learn_recurring_lines(site_docs(4)) == {}


def test_copies_of_one_article_do_not_make_its_sentences_boilerplate():
    copies = [doc(f"c{i}", "Short line one.\n\nShort line two.") for i in range(10)]
    for item in copies:
        item.url = "https://news.example.com/copy"
    assert learn_recurring_lines(copies) == {}


def test_other_sites_are_unaffected():
    docs = site_docs(6)
    elsewhere = doc("x", f"Another site's page.\n\n{FOOTER}")
    elsewhere.url = "https://other.example.org/page"
    recurring = learn_recurring_lines([*docs, elsewhere])
    assert "other.example.org" not in recurring


def test_long_lines_are_never_boilerplate():
    settings = BoilerplateSettings(max_words=3)
    assert learn_recurring_lines(site_docs(6), settings) == {}


def test_removal_keeps_paragraph_breaks_tidy():
    text = "First.\n\nFooter line\n\nSecond."
    assert remove_recurring_lines(text, {"footer line"}) == "First.\n\nSecond."
