"""The workflow panel on an article's admin page, in a real Chromium: each action is its own
form that reads top to bottom, and the article's own form still saves.

The panel once sat inside the article's form; the browser's parser drops a form nested in a
form, so the first action's fields went to the article's form and the article's fields and
Save buttons to none.
"""

import itertools

import pytest
from django.urls import reverse

from articles.models import Article, WorkflowEvent
from evidence.annotations import update_annotation
from evidence.models import Annotation
from tests.browser.test_admin_accessibility import signed_in_page, site
from tests.browser.test_public_accessibility import browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser", "site"]  # fixtures shared with the accessibility tests

# For each field of the panel's forms: which form it belongs to, and where it and its label
# are on the page.
PANEL_LAYOUT = """
() => [...document.querySelectorAll('#workflow-panel form.workflow-form')].map(form => ({
  id: form.id,
  action: form.getAttribute('action'),
  fields: [...form.querySelectorAll('textarea, select, input[type=text]')].map(field => {
    const label = document.querySelector(`label[for="${field.id}"]`).getBoundingClientRect();
    const box = field.getBoundingClientRect();
    return {id: field.id, form: field.form && field.form.id, labelBottom: label.bottom,
            labelLeft: label.left, top: box.top, left: box.left};
  }),
  button: (({left, top}) => ({left, top}))(form.querySelector('[type=submit]')
                                               .getBoundingClientRect()),
  bottom: form.getBoundingClientRect().bottom,
  top: form.getBoundingClientRect().top,
}))
"""


def test_each_action_is_its_own_form_read_top_to_bottom(site, live_server, browser):
    page = signed_in_page(browser, live_server, site.reviewer)
    page.goto(live_server.url + reverse("admin:articles_article_change",
                                        args=[site.in_review.pk]))
    forms = page.evaluate(PANEL_LAYOUT)
    ids = [form["id"] for form in forms]
    assert "workflow-approve" in ids and "workflow-request_changes" in ids
    for form in forms:
        assert form["fields"], form["id"]
        for field in form["fields"]:
            assert field["form"] == form["id"], f"{field['id']} belongs to {field['form']}"
            assert field["labelBottom"] <= field["top"], f"label of {field['id']} is above it"
            assert field["labelLeft"] == pytest.approx(field["left"], abs=2)
        # The button comes after the fields, aligned with them.
        assert form["button"]["top"] > max(f["top"] for f in form["fields"])
        assert form["button"]["left"] == pytest.approx(form["fields"][0]["left"], abs=2)
    # One action after the other, none beside another.
    for above, below in itertools.pairwise(forms):
        assert above["bottom"] <= below["top"]
    assert len({round(form["button"]["left"]) for form in forms}) == 1


def test_a_reviewer_approves_with_a_comment_from_the_panel(site, live_server, browser):
    page = signed_in_page(browser, live_server, site.reviewer)
    article = site.in_review
    for annotation in Annotation.objects.filter(article=article):
        update_annotation(annotation, actor=site.reviewer, expected_version=annotation.version,
                          certainty="low", verdict="supported")
    page.goto(live_server.url + reverse("admin:articles_article_change", args=[article.pk]))
    page.fill("#comment-approve", "Checked the sleep claim against the trial.")
    page.locator("#workflow-approve [type=submit]").click()
    page.wait_for_load_state()
    assert "Approve: done" in page.locator(".messagelist").inner_text()
    article.refresh_from_db()
    assert article.state == Article.State.APPROVED
    event = WorkflowEvent.objects.filter(article=article, action="approve").get()
    assert event.comment == "Checked the sleep claim against the trial."


def test_the_article_form_still_saves_below_the_panel(site, live_server, browser):
    page = signed_in_page(browser, live_server, site.editor)
    article = site.live
    page.goto(live_server.url + reverse("admin:articles_article_change", args=[article.pk]))
    assert page.locator("#workflow-panel").is_visible()
    assert page.evaluate("document.getElementById('id_summary').form.id") == "article_form"
    page.fill("#id_summary", "A new summary, saved from the admin below the workflow panel.")
    page.locator("[name=_continue]").click()
    page.wait_for_load_state()
    article.refresh_from_db()
    assert article.draft.summary == (
        "A new summary, saved from the admin below the workflow panel."
    )
