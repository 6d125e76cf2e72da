"""Suggestions on import and edit; accepting makes an annotation; a dismissal sticks."""

import pytest

from articles import workflow
from evidence.annotations import AnnotationNotAllowed
from evidence.models import Annotation
from spotting.models import Dismissal, SpottedRevision, Suggestion
from spotting.suggestions import (
    SuggestionConflict,
    SuggestionNotAllowed,
    accept_suggestion,
    dismiss_suggestion,
    normalised_sentence,
    open_suggestions,
)
from tests.conftest import make_annotation, make_user
from tests.spotting.helpers import CLAIM, NOT_A_CLAIM, SECOND_CLAIM, import_article

pytestmark = pytest.mark.django_db


def quotes(article):
    article.refresh_from_db()
    return [s.exact for s in open_suggestions(article)]


def test_a_revision_is_spotted_once_when_its_suggestions_are_first_read(
    django_assert_num_queries,
):
    article = import_article().article
    assert not Suggestion.objects.exists() and not SpottedRevision.objects.exists()
    assert quotes(article) == [CLAIM, SECOND_CLAIM]
    assert SpottedRevision.objects.get().revision_id == article.draft_id
    article = type(article).objects.select_related("draft").get(pk=article.pk)
    with django_assert_num_queries(3):  # spotted? suggestions less dismissals; annotations
        assert len(open_suggestions(article)) == 2
    assert Suggestion.objects.count() == 2


def test_an_import_suggests_its_claims_and_not_the_rest():
    outcome = import_article()
    assert quotes(outcome.article) == [CLAIM, SECOND_CLAIM]
    first = open_suggestions(outcome.article)[0]
    assert first.revision_id == outcome.revision.pk
    assert first.kind == "safety" and 0.5 <= first.score <= 1
    assert "a causal verb: raise" in first.reasons


def test_accepting_makes_an_unrated_annotation_and_stops_suggesting_it(editor):
    article = import_article().article
    suggestion = open_suggestions(article)[0]
    annotation = accept_suggestion(suggestion, actor=editor)
    assert (annotation.exact, annotation.block_id, annotation.start, annotation.end) == (
        CLAIM, suggestion.block_id, suggestion.start, suggestion.end)
    assert annotation.verdict == "" and annotation.certainty == ""
    assert annotation.author == editor and annotation.revision_id == article.draft_id
    assert quotes(article) == [SECOND_CLAIM]
    suggestion.refresh_from_db()
    assert suggestion.state == "accepted" and suggestion.annotation_id == annotation.pk
    assert article.events.filter(action="suggestion_accepted", actor=editor).count() == 1


def test_an_accepted_claim_is_not_suggested_again_after_an_edit(editor):
    article = import_article().article
    accept_suggestion(open_suggestions(article)[0], actor=editor)
    article.refresh_from_db()
    blocks = [dict(b) for b in article.draft.blocks]
    blocks.append({"id": "new", "type": "paragraph",
                   "text": "Ketamine lowers pain scores in nerve pain by about 30%."})
    workflow.save_revision(article, actor=editor, base_number=article.draft.number,
                           blocks=blocks)
    assert quotes(article) == [SECOND_CLAIM,
                               "Ketamine lowers pain scores in nerve pain by about 30%."]
    # Not suggested at all, rather than suggested and hidden.
    assert not Suggestion.objects.filter(revision_id=article.draft_id, exact=CLAIM).exists()


def test_a_dismissal_survives_a_reimport_and_an_edit(editor):
    outcome = import_article()
    article = outcome.article
    dismiss_suggestion(open_suggestions(article)[1], actor=editor)
    assert quotes(article) == [CLAIM]
    # Changed bytes from the same file: a new revision, spotted again.
    again = import_article(extra="Ketamine blocks NMDA receptors in the brain.")
    assert again.result == "new_revision"
    assert quotes(article) == [CLAIM, "Ketamine blocks NMDA receptors in the brain."]
    # An edit that only changes spacing and punctuation around the dismissed sentence.
    article.refresh_from_db()
    blocks = [dict(b) for b in article.draft.blocks]
    last = blocks[-1]
    last["text"] = last["text"].replace(SECOND_CLAIM, "  " + SECOND_CLAIM.replace(".", " (3)."))
    workflow.save_revision(article, actor=editor, base_number=article.draft.number,
                           blocks=blocks)
    assert SECOND_CLAIM not in " ".join(quotes(article))
    assert Dismissal.objects.filter(article=article).count() == 1
    # Not suggested at all, rather than suggested and hidden.
    assert not Suggestion.objects.filter(
        revision_id=article.draft_id, exact__contains="Esketamine was approved").exists()


def test_a_sentence_dismissed_after_it_was_spotted_is_not_shown():
    article = import_article().article
    suggestion = open_suggestions(article)[0]
    Dismissal.objects.create(article=article, sentence_hash=suggestion.sentence_hash,
                             sentence=suggestion.exact)
    assert quotes(article) == [SECOND_CLAIM]


def test_a_dismissal_is_per_article():
    first = import_article(filename="one.txt").article
    editor = make_user("Editors")
    dismiss_suggestion(open_suggestions(first)[0], actor=editor)
    second = import_article(filename="two.txt", extra="Fresh text.").article
    assert CLAIM in quotes(second)


def test_a_passage_annotated_by_hand_is_no_longer_suggested(editor):
    article = import_article().article
    suggestion = open_suggestions(article)[0]
    make_annotation(article, block_id=suggestion.block_id, start=suggestion.start,
                    end=suggestion.start + 8)
    assert quotes(article) == [SECOND_CLAIM]


def test_deciding_twice_is_refused_and_changes_nothing(editor):
    article = import_article().article
    first, second = open_suggestions(article)
    accept_suggestion(first, actor=editor)
    dismiss_suggestion(second, actor=editor)
    for suggestion in (first, second):
        for decide in (accept_suggestion, dismiss_suggestion):
            with pytest.raises(SuggestionConflict):
                decide(suggestion, actor=editor)
    assert Annotation.objects.filter(article=article).count() == 1
    assert Dismissal.objects.filter(article=article).count() == 1


def test_a_suggestion_of_an_older_revision_is_refused(editor):
    article = import_article().article
    old = open_suggestions(article)[0]
    import_article(extra="Something new is said here about ketamine and pain relief.")
    with pytest.raises(SuggestionConflict):
        dismiss_suggestion(old, actor=editor)


def test_only_those_who_may_annotate_decide(publisher):
    article = import_article().article
    suggestion = open_suggestions(article)[0]
    for decide in (accept_suggestion, dismiss_suggestion):
        with pytest.raises(SuggestionNotAllowed):
            decide(suggestion, actor=publisher)
    suggestion.refresh_from_db()
    assert suggestion.state == "open"
    assert not Annotation.objects.exists() and not Dismissal.objects.exists()


def test_a_failed_accept_writes_nothing(editor, monkeypatch):
    article = import_article().article
    suggestion = open_suggestions(article)[0]

    def refuse(**kwargs):
        raise AnnotationNotAllowed("no", http_status=409)

    monkeypatch.setattr("spotting.suggestions.create_annotation", refuse)
    with pytest.raises(AnnotationNotAllowed):
        accept_suggestion(suggestion, actor=editor)
    suggestion.refresh_from_db()
    assert suggestion.state == "open"
    assert not article.events.filter(action__startswith="suggestion").exists()


def test_dismissals_compare_normalised_sentences():
    assert normalised_sentence("Ketamine  RAISES blood-pressure (1,2).") == normalised_sentence(
        "ketamine raises blood pressure")
    assert normalised_sentence("Ketamine lowers blood pressure.") != normalised_sentence(
        "Ketamine raises blood pressure.")


def test_suggestions_are_dropped_for_older_revisions_only_while_open(editor):
    article = import_article().article
    accept_suggestion(open_suggestions(article)[0], actor=editor)
    import_article(extra="Ketamine blocks NMDA receptors in the brain.")
    article.refresh_from_db()
    open_suggestions(article)
    states = set(Suggestion.objects.exclude(revision=article.draft).values_list("state",
                                                                               flat=True))
    assert states == {"accepted"}


def test_nothing_is_suggested_for_a_sentence_that_is_not_a_claim():
    article = import_article().article
    assert not Suggestion.objects.filter(article=article, exact=NOT_A_CLAIM).exists()
