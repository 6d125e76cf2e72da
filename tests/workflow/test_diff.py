"""The per-block word diff between revisions."""

from articles.diffing import diff_blocks, diff_revisions, word_diff_html
from tests.conftest import make_blocks


def test_changed_words_are_marked_inside_the_block():
    html = word_diff_html("Ketamine may help adults.", "Ketamine does not help adults.")
    assert html == "Ketamine <del>may</del><ins>does not</ins> help adults."


def test_diff_escapes_markup_in_the_text():
    html = word_diff_html("a <b>", "a <script>alert(1)</script>")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_each_block_gets_a_status():
    old = make_blocks("First paragraph.", "Second paragraph.")
    new = [old[0], {**old[1], "text": "First paragraph, edited."},
           {"id": "p9", "type": "paragraph", "text": "A new one."}]
    statuses = [(b["id"], b["status"]) for b in diff_blocks(old, new)]
    assert statuses == [("h1", "same"), ("p1", "changed"), ("p2", "removed"), ("p9", "added")]


def test_removed_block_keeps_its_place():
    old = make_blocks("One.", "Two.", "Three.")
    new = [old[0], old[1], old[3]]
    entries = diff_blocks(old, new)
    assert [b["id"] for b in entries] == ["h1", "p1", "p2", "p3"]
    assert entries[2] == {"id": "p2", "type": "paragraph", "status": "removed",
                          "html": "<del>Two.</del>"}


def test_revision_diff_counts_changes_including_title(editor):
    from tests.conftest import make_article

    article = make_article(author=editor, title="Old title")
    from articles.models import Revision

    newer = Revision.objects.create(
        article=article, number=2, title="New title", summary=article.draft.summary,
        blocks=article.draft.blocks,
    )
    result = diff_revisions(article.draft, newer)
    assert result["title"]["html"] == "<del>Old</del><ins>New</ins> title"
    assert result["changed"] == 1
