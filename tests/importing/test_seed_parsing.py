"""What the five real seeds must give (parsing only: no database).

Skipped when the seeds are not in KETASITE_SEEDS_DIR; test_fixture_parsing.py checks the same
behaviours on documents of the same shapes that are part of the repository.
"""

import pytest

from articles.blocks import block_text, clean_blocks
from articles.importing import parse_document
from tests.importing.helpers import seed_bytes, seed_name

pytestmark = [pytest.mark.seeds, pytest.mark.neutral]


def parse_seed(prefix):
    return parse_document(seed_bytes(prefix), filename=seed_name(prefix))


def dropped_texts(parsed):
    return "\n".join(item["text"] for item in parsed.dropped)


def body_texts(parsed):
    return [block_text(block) for block in parsed.blocks]


def test_seed_000_title_is_the_first_line():
    assert parse_seed("000").title == "Can Ketamine Therapy Offer Relief for ADHD?"


def test_seed_000_table_of_contents_is_not_body_text():
    parsed = parse_seed("000")
    headings = [b["text"] for b in parsed.blocks if b["type"] == "heading"]
    assert headings.count("Introduction to Ketamine Therapy") == 1
    assert headings.count("Traditional Treatments for ADHD") == 1
    assert any("table of contents" in item["reason"] for item in parsed.dropped)


def test_seed_000_boilerplate_is_dropped_and_reported():
    parsed = parse_seed("000")
    body = "\n".join(body_texts(parsed))
    assert "You may also like" not in body
    assert "Leave a Comment" not in body
    assert ".jpg" not in body
    dropped = dropped_texts(parsed)
    assert dropped.count("You may also like") == 3
    assert "Leave a Comment" in dropped
    assert "81xmzxI5KEL._AC_UF10001000_QL80_.jpg" in dropped


def test_seed_000_section_titles_are_headings():
    parsed = parse_seed("000")
    headings = {b["text"] for b in parsed.blocks if b["type"] == "heading"}
    assert "The Science Behind Ketamine Therapy" in headings
    assert "Tips for Finding a Qualified Ketamine Provider" in headings


def test_seed_000_numbered_tips_are_one_ordered_list():
    parsed = parse_seed("000")
    lists = [b for b in parsed.blocks if b["type"] == "list"]
    tips = [b for b in lists if b["items"][0]["text"].startswith("Research providers")]
    assert len(tips) == 1
    assert tips[0]["ordered"] is True
    assert len(tips[0]["items"]) == 4


def test_seed_000_questions_and_answers_are_faq_blocks():
    parsed = parse_seed("000")
    faqs = [b for b in parsed.blocks if b["type"] == "faq"]
    assert len(faqs) == 5
    assert faqs[0]["question"] == "What is ketamine therapy and how does it work?"
    assert faqs[0]["answer"].startswith("Ketamine therapy is a medical treatment")
    assert not any(t.startswith(("Q:", "A:")) for t in body_texts(parsed))


def test_seed_001_trailing_unrelated_titles_are_dropped_as_related_links():
    parsed = parse_seed("001")
    body = "\n".join(body_texts(parsed))
    assert "Mastitis in Dairy" not in body
    assert "Metoprolol" not in body
    assert "Stellate Ganglion" not in body
    related = [i for i in parsed.dropped if "related-links" in i["reason"]]
    assert len(related) == 3
    assert related[0]["text"].startswith("Mastitis in Dairy")


def test_seed_002_repeated_title_is_kept_once():
    parsed = parse_seed("002")
    assert parsed.title == "Low-Dose Ketamine for ADHD Management: What to Expect"
    assert parsed.title not in body_texts(parsed)


def test_seed_002_date_line_becomes_the_original_publication_date():
    parsed = parse_seed("002")
    assert parsed.published_on.isoformat() == "2024-06-19"
    assert "Jun 19, 2024" not in body_texts(parsed)


def test_seed_002_is_flagged_promotional():
    parsed = parse_seed("002")
    assert parsed.is_promotional is True
    assert any("promotional" in warning for warning in parsed.warnings)


def test_seeds_without_marketing_are_not_flagged_promotional():
    assert parse_seed("001").is_promotional is False
    assert parse_seed("004").is_promotional is False


def test_seed_003_first_paragraph_is_not_the_title():
    parsed = parse_seed("003")
    assert not parsed.title.startswith("Introduction")
    assert len(parsed.title) <= 100
    assert parsed.title_is_provisional is True
    assert any("title" in w and "editor" in w for w in parsed.warnings)


def test_seed_003_no_data_uri_is_kept_in_any_block():
    parsed = parse_seed("003")
    assert all("data:" not in text for text in body_texts(parsed))
    assert all("<image" not in text for text in body_texts(parsed))
    images = [i for i in parsed.dropped if "image" in i["reason"]]
    assert len(images) == 3


def test_seed_003_video_and_podcast_promotions_are_dropped():
    parsed = parse_seed("003")
    body = "\n".join(body_texts(parsed))
    assert "Please watch" not in body
    assert "Please Listen To" not in body
    assert "Please watch" in dropped_texts(parsed)


def test_seed_003_reference_list_gives_22_references_with_ids():
    parsed = parse_seed("003")
    refs = parsed.references
    assert len(refs) == 22
    assert sum(1 for r in refs if r["pmid"]) == 12
    springer = [r for r in refs if "link.springer.com/article/10.1007/" in r["url"]]
    assert springer and all(r["doi"].startswith("10.1007/") for r in springer)
    assert "https://pubmed.ncbi.nlm.nih.gov/37340091/" not in "\n".join(body_texts(parsed))


def test_seed_003_citation_groups_link_to_their_references():
    parsed = parse_seed("003")
    cited = [(b, c) for b in parsed.blocks for c in b.get("cites", ())]
    groups = {b["text"][c["start"]:c["end"]]: c["refs"] for b, c in cited}
    assert groups["(2,4,3,1)"] == [2, 4, 3, 1]
    assert groups["(11,12,13,14,15,16,17)"] == [11, 12, 13, 14, 15, 16, 17]
    assert len(groups) == 4


def test_seed_004_breadcrumb_is_not_the_title():
    parsed = parse_seed("004")
    assert parsed.title == "Ketamine Therapy - Definition and Overview"
    assert "ketamine therapy" not in body_texts(parsed)


def test_seed_004_dash_items_are_lists_not_paragraphs():
    parsed = parse_seed("004")
    assert not any(b["type"] == "paragraph" and b["text"].strip() == "-" for b in parsed.blocks)
    lists = [b for b in parsed.blocks if b["type"] == "list"]
    assert len(lists) == 4
    assert [len(b["items"]) for b in lists] == [6, 6, 5, 4]


def test_seed_004_nested_items_stay_nested_without_empty_items():
    parsed = parse_seed("004")
    features = next(b for b in parsed.blocks if b["type"] == "list")
    administration = next(
        i for i in features["items"] if i["text"].startswith("Multiple Forms of Administration")
    )
    assert len(administration["items"]) == 4
    assert administration["items"][0]["text"].startswith("Intravenous (IV) Infusions")

    def all_items(items):
        for item in items:
            yield item
            yield from all_items(item["items"])

    assert all(item["text"].strip() for b in parsed.blocks if b["type"] == "list"
               for item in all_items(b["items"]))


def test_every_seed_gives_valid_blocks_with_a_summary():
    for prefix in ("000", "001", "002", "003", "004"):
        parsed = parse_seed(prefix)
        assert clean_blocks(parsed.blocks) == parsed.blocks
        assert 0 < len(parsed.summary) <= 300
        assert parsed.summary.endswith((".", "!", "?"))


def test_block_ids_are_stable_across_parses():
    first = [b["id"] for b in parse_seed("000").blocks]
    second = [b["id"] for b in parse_seed("000").blocks]
    assert first == second
    assert len(set(first)) == len(first)
