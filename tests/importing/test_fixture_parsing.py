"""The importer's handling of every shape the real seeds have, on small documents written for
the tests (tests/importing/fixtures/), so it is checked on every clone, seeds or not.

Each fixture copies the shape of one seed, never its text:

- toc-boilerplate-faq.txt: a title line, a table of contents repeated as section headings,
  "You may also like" lines, an image file name, numbered tips, numbered section headings,
  Q:/A: pairs and a comment prompt (seed 000);
- related-links.txt: titles of unrelated pages after the last section (seed 001);
- promotional.txt: a date line, the title repeated under it, a phone number and a booking call
  to action (seed 002);
- images-references.txt: no title line, inline `<image>` markup with `data:` URIs, video and
  podcast promotions, FAQ question headings, a PubMed-style reference list and numeric citation
  groups (seed 003);
- breadcrumb-dash-lists.txt: a breadcrumb above the title and lists written as a lone "-" line
  before each item, one item holding nested items (seed 004).
"""

import pytest

from articles.blocks import block_text, clean_blocks
from articles.importing import parse_document
from tests.conftest import fixture_document

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral

FIXTURES = ("toc-boilerplate-faq.txt", "related-links.txt", "promotional.txt",
            "images-references.txt", "breadcrumb-dash-lists.txt")


def parse_fixture(name):
    path = fixture_document(name)
    return parse_document(path.read_bytes(), filename=path.name)


def dropped_texts(parsed):
    return "\n".join(item["text"] for item in parsed.dropped)


def body_texts(parsed):
    return [block_text(block) for block in parsed.blocks]


def headings(parsed):
    return [b["text"] for b in parsed.blocks if b["type"] == "heading"]


# Boilerplate and a table of contents.

def test_title_is_the_first_line():
    assert parse_fixture("toc-boilerplate-faq.txt").title == (
        "Can Morning Light Therapy Lift Winter Low Mood?"
    )


def test_table_of_contents_is_not_body_text():
    parsed = parse_fixture("toc-boilerplate-faq.txt")
    assert headings(parsed).count("What Light Therapy Is") == 1
    assert headings(parsed).count("When to Talk to Your Doctor") == 1
    toc = [item for item in parsed.dropped if "table of contents" in item["reason"]]
    assert len(toc) == 1
    assert toc[0]["text"].splitlines() == [
        "What Light Therapy Is", "Who Tends to Feel Worse in Winter",
        "How a Light Box Session Goes", "Choosing a Light Box", "Pairing Light with Other Care",
        "When to Talk to Your Doctor",
    ]


def test_boilerplate_is_dropped_and_reported():
    parsed = parse_fixture("toc-boilerplate-faq.txt")
    body = "\n".join(body_texts(parsed))
    assert "You may also like" not in body
    assert "Leave a Comment" not in body
    assert ".jpg" not in body
    dropped = dropped_texts(parsed)
    assert dropped.count("You may also like") == 3
    assert "Leave a Comment" in dropped
    assert "winter-sunrise-lamp_SL1200_QL70_.jpg" in dropped


def test_section_titles_are_headings():
    parsed = parse_fixture("toc-boilerplate-faq.txt")
    assert {"How a Light Box Session Goes", "Choosing a Light Box"} <= set(headings(parsed))


def test_numbered_tips_are_one_ordered_list():
    parsed = parse_fixture("toc-boilerplate-faq.txt")
    lists = [b for b in parsed.blocks if b["type"] == "list"]
    tips = [b for b in lists if b["items"][0]["text"].startswith("Check that the stated")]
    assert len(tips) == 1
    assert tips[0]["ordered"] is True
    assert len(tips[0]["items"]) == 4
    assert tips[0]["items"][3]["text"].startswith("Ask whether the shop")


def test_numbered_lines_followed_by_prose_are_section_headings():
    parsed = parse_fixture("toc-boilerplate-faq.txt")
    numbered = [b for b in parsed.blocks if b["type"] == "heading" and b["level"] == 3]
    assert [b["text"] for b in numbered] == [
        "1. Combining Light with Talking Therapy", "2. Combining Light with Daily Walks",
    ]


# A FAQ.

def test_questions_and_answers_are_faq_blocks():
    parsed = parse_fixture("toc-boilerplate-faq.txt")
    faqs = [b for b in parsed.blocks if b["type"] == "faq"]
    assert len(faqs) == 5
    assert faqs[0]["question"] == "How long should one light therapy session last?"
    assert faqs[0]["answer"].startswith("Most people begin with twenty to thirty minutes")
    assert not any(t.startswith(("Q:", "A:")) for t in body_texts(parsed))


def test_question_headings_under_a_faq_heading_are_faq_blocks():
    parsed = parse_fixture("images-references.txt")
    faqs = [b for b in parsed.blocks if b["type"] == "faq"]
    assert [f["question"] for f in faqs] == [
        "Can children use steroid nasal sprays?",
        "Is it safe to take an antihistamine every day all summer?",
    ]
    assert faqs[1]["answer"].startswith("Most modern antihistamines")
    assert "Can children use steroid nasal sprays?" not in headings(parsed)


# Titles of other pages at the end.

def test_trailing_unrelated_titles_are_dropped_as_related_links():
    parsed = parse_fixture("related-links.txt")
    body = "\n".join(body_texts(parsed))
    assert "Backyard Hens" not in body
    assert "Antacids" not in body
    assert "Nerve Conduction" not in body
    related = [i for i in parsed.dropped if "related-links" in i["reason"]]
    assert len(related) == 3
    assert related[0]["text"] == "Caring for Backyard Hens in Winter"
    assert headings(parsed)[-1] == "Safety Points to Keep in Mind"


# A breadcrumb and a repeated title.

def test_repeated_title_is_kept_once():
    parsed = parse_fixture("promotional.txt")
    assert parsed.title == "Gentle Physiotherapy for Lower Back Pain: What to Expect"
    assert parsed.title not in body_texts(parsed)
    assert any(i["reason"] == "repeated title" for i in parsed.dropped)


def test_date_line_becomes_the_original_publication_date():
    parsed = parse_fixture("promotional.txt")
    assert parsed.published_on.isoformat() == "2024-03-04"
    assert "Mar 4, 2024" not in body_texts(parsed)


def test_breadcrumb_is_not_the_title():
    parsed = parse_fixture("breadcrumb-dash-lists.txt")
    assert parsed.title == "Massage Therapy - Definition and Overview"
    assert "massage therapy" not in body_texts(parsed)
    assert any("breadcrumb" in i["reason"] for i in parsed.dropped)


# Promotional lines.

def test_clinic_marketing_is_flagged_promotional():
    parsed = parse_fixture("promotional.txt")
    assert parsed.is_promotional is True
    assert any("promotional" in w and "555-201-4477" in w for w in parsed.warnings)


def test_documents_without_marketing_are_not_flagged_promotional():
    for name in ("related-links.txt", "breadcrumb-dash-lists.txt", "toc-boilerplate-faq.txt"):
        assert parse_fixture(name).is_promotional is False, name


def test_video_and_podcast_promotions_are_dropped():
    parsed = parse_fixture("images-references.txt")
    body = "\n".join(body_texts(parsed))
    assert "Please watch" not in body
    assert "Please Listen To" not in body
    assert "Please watch: A pharmacist explains" in dropped_texts(parsed)
    assert "Please Listen To: Spring allergies explained" in dropped_texts(parsed)


# No title line; inline data: images.

def test_first_paragraph_is_not_the_title():
    parsed = parse_fixture("images-references.txt")
    assert parsed.title == "What Causes Hay Fever?"
    assert parsed.title_is_provisional is True
    assert any("title" in w and "editor" in w for w in parsed.warnings)
    assert parsed.summary.startswith("Hay fever, or seasonal allergic rhinitis")


def test_no_data_uri_is_kept_in_any_block():
    parsed = parse_fixture("images-references.txt")
    assert all("data:" not in text for text in body_texts(parsed))
    assert all("<image" not in text and "base64" not in text for text in body_texts(parsed))
    images = [i for i in parsed.dropped if "image" in i["reason"]]
    assert len(images) == 3
    assert "“Pollen grains under a microscope”" in images[0]["text"]
    assert "without a description" in images[1]["text"]


# A PubMed-style reference list with citation groups.

def test_reference_list_gives_references_with_ids():
    parsed = parse_fixture("images-references.txt")
    refs = parsed.references
    assert len(refs) == 8
    assert [r["pmid"] for r in refs[:4]] == ["10000001", "10000002", "10000003", "10000004"]
    assert sum(1 for r in refs if r["pmid"]) == 4
    assert [r["doi"] for r in refs[4:6]] == ["10.1007/s00000-021-00001-a",
                                             "10.1007/s00000-022-00002-b"]
    assert refs[6]["url"] == "https://www.example.org/allergy-guidance/seasonal-rhinitis"
    assert not refs[6]["pmid"] and not refs[6]["doi"]
    body = "\n".join(body_texts(parsed))
    assert "pubmed.ncbi.nlm.nih.gov" not in body
    assert "Reference:" not in body


def test_citation_groups_link_to_their_references():
    parsed = parse_fixture("images-references.txt")
    cited = [(b, c) for b in parsed.blocks for c in b.get("cites", ())]
    groups = {b["text"][c["start"]:c["end"]]: c["refs"] for b, c in cited}
    assert groups == {
        "(2,4,3,1)": [2, 4, 3, 1], "(5,6)": [5, 6], "(1,7,8)": [1, 7, 8], "(3-5)": [3, 4, 5],
    }


def test_a_year_in_brackets_is_not_a_citation():
    parsed = parse_fixture("images-references.txt")
    dose = next(b for b in parsed.blocks if "(2019)" in b.get("text", ""))
    assert "cites" not in dose


# Nested dash lists.

def test_dash_items_are_lists_not_paragraphs():
    parsed = parse_fixture("breadcrumb-dash-lists.txt")
    assert not any(b["type"] == "paragraph" and b["text"].strip() == "-" for b in parsed.blocks)
    lists = [b for b in parsed.blocks if b["type"] == "list"]
    assert [len(b["items"]) for b in lists] == [4, 3, 3, 3]
    assert all(b["ordered"] is False for b in lists)


def test_nested_items_stay_nested_without_empty_items():
    parsed = parse_fixture("breadcrumb-dash-lists.txt")
    features = next(b for b in parsed.blocks if b["type"] == "list")
    styles = features["items"][2]
    assert styles["text"].startswith("Several Styles of Massage")
    assert [i["text"].split(":")[0] for i in styles["items"]] == [
        "Swedish Massage", "Deep Tissue Massage", "Sports Massage",
    ]
    # The empty "-" closes the nested list: the next item is back at the top level.
    assert features["items"][3]["text"].startswith("Short Sessions Available")

    def all_items(items):
        for item in items:
            yield item
            yield from all_items(item["items"])

    assert all(item["text"].strip() for b in parsed.blocks if b["type"] == "list"
               for item in all_items(b["items"]))


# Every fixture.

def test_every_fixture_gives_valid_blocks_with_a_summary():
    for name in FIXTURES:
        parsed = parse_fixture(name)
        assert clean_blocks(parsed.blocks) == parsed.blocks, name
        assert 0 < len(parsed.summary) <= 300, name
        assert parsed.summary.endswith((".", "!", "?")), name


def test_block_ids_are_stable_across_parses():
    for name in FIXTURES:
        first = [b["id"] for b in parse_fixture(name).blocks]
        assert first == [b["id"] for b in parse_fixture(name).blocks]
        assert len(set(first)) == len(first)


def test_the_fixture_directory_holds_exactly_the_documented_fixtures():
    """The command tests import the whole directory: nothing else may sit in it."""
    directory = fixture_document(FIXTURES[0]).parent
    assert sorted(p.name for p in directory.iterdir()) == sorted(FIXTURES)
