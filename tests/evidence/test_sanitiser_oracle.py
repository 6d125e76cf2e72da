"""Sanitised notes are inert by an oracle that does not know the sanitiser's allowlist.

Every hostile string (the XSS corpus, the note attacks, and Hypothesis-generated HTML and
Markdown) goes through `clean_html`, `render_markdown`, a saved note, a review comment and a
published page's body, and `tests.hostile.html_oracle.violations` parses each result as a
browser would and lists anything that could run script, load a frame or restyle the page.

Known-bad twins prove on every run that the oracle has teeth: the real nh3 Cleaner rebuilt
with the allowlist an audit once widened it to (`img onerror`, `iframe`, `a onclick`,
`p style`), and with script and data addresses allowed. The same checks run against each twin
and must report violations.
"""

import nh3
import pytest
from hypothesis import HealthCheck, given, settings

from articles.models import Article
from evidence.annotations import add_comment, comment_html, create_annotation
from evidence.models import Annotation
from ketasite import sanitize
from ketasite.sanitize import clean_html, render_markdown
from tests.conftest import make_annotation, make_article, make_blocks, publish_now
from tests.evidence.test_note_sanitising import ATTACKS
from tests.hostile.html_oracle import hostile_html, violations
from tests.hostile.payloads import PAYLOADS

CORPUS = list(dict.fromkeys(PAYLOADS + ATTACKS))
GENERATED = settings(max_examples=200, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def widened_allowlist_twin():
    """The real Cleaner, with the allowlist the audit widened it to."""
    attributes = {tag: set(names) for tag, names in sanitize.ALLOWED_ATTRIBUTES.items()}
    attributes["a"] = attributes.get("a", set()) | {"onclick"}
    attributes["img"] = {"src", "onerror"}
    attributes["p"] = {"style"}
    attributes["iframe"] = {"src"}
    return nh3.Cleaner(
        tags=sanitize.ALLOWED_TAGS | {"img", "iframe"},
        clean_content_tags=sanitize.DROPPED_WITH_CONTENT - {"iframe"},
        attributes=attributes,
        url_schemes=sanitize.ALLOWED_URL_SCHEMES,
        link_rel=sanitize.LINK_REL,
        strip_comments=True,
    )


def script_schemes_twin():
    """The real Cleaner, with `javascript:` and `data:` addresses allowed in links."""
    return nh3.Cleaner(
        tags=sanitize.ALLOWED_TAGS,
        clean_content_tags=sanitize.DROPPED_WITH_CONTENT,
        attributes=sanitize.ALLOWED_ATTRIBUTES,
        url_schemes=sanitize.ALLOWED_URL_SCHEMES | {"javascript", "data"},
        link_rel=sanitize.LINK_REL,
        strip_comments=True,
    )


# Each twin, with a line of what the oracle must report for it (each of the widenings).
TWINS = {
    "widened allowlist": (widened_allowlist_twin, [
        "<img onerror=", "<iframe> element", "<a onclick=", "<p style=",
    ]),
    "script schemes": (script_schemes_twin, ["<a href='javascript:", "<a href='data:"]),
}


@pytest.fixture(params=list(TWINS))
def twin(request, monkeypatch):
    """Put a known-bad twin in the real sanitiser's place; return what it must be caught at."""
    build, expected = TWINS[request.param]
    monkeypatch.setattr(sanitize, "CLEANER", build())
    return expected


def corpus_violations(sanitise):
    """{payload: violations} for every corpus payload whose sanitised form is not inert."""
    found = {}
    for payload in CORPUS:
        problems = violations(sanitise(payload))
        if problems:
            found[payload] = problems
    return found


def test_the_oracle_flags_each_kind_of_active_markup():
    # The oracle itself, on raw markup (no sanitiser): entities, case, tabs and SVG included.
    assert violations('<p>ok <a href="https://e.org/javascript:x">l</a></p>') == []
    for hostile in [
        "<img src=x onerror=alert(1)>", "<IFRAME src=https://e.org>", "<a onclick=x>a</a>",
        '<p style="color:red">x</p>', "<script>1</script>", "<object data=x>", "<embed src=x>",
        "<style>p{}</style>", '<a href="java&#x09;script:alert(1)">t</a>',
        '<a href=" &#106;AVA&#115;cript&colon;alert(1)">e</a>', '<a href="VBScript:x">v</a>',
        '<img src="data:image/svg+xml,x">', '<form action="javascript:1"><button>b</button>',
        '<button formaction="jav&NewLine;ascript:1">b</button>',
        '<svg><a xlink:href="javascript:1"><text>x</text></a></svg>',
    ]:
        assert violations(hostile), hostile


def test_every_corpus_payload_comes_out_of_clean_html_inert():
    assert corpus_violations(clean_html) == {}


def test_every_corpus_payload_comes_out_of_markdown_rendering_inert():
    assert corpus_violations(render_markdown) == {}


def test_generated_hostile_html_comes_out_inert_and_every_twin_is_caught():
    twins = {name: build() for name, (build, _) in TWINS.items()}
    caught = dict.fromkeys(twins, 0)

    @GENERATED
    @given(hostile_html())
    def check(html):
        assert violations(clean_html(html)) == []
        assert violations(render_markdown(html)) == []
        for name, cleaner in twins.items():
            caught[name] += bool(violations(cleaner.clean(html)))

    check()
    # The same generated HTML gets through each known-bad twin: the strategy has teeth.
    assert all(caught.values()), f"generated HTML that got through each twin: {caught}"


def test_the_corpus_catches_the_known_bad_twin(twin):
    found = corpus_violations(clean_html)
    reported = "\n".join(line for problems in found.values() for line in problems)
    for expected in twin:
        assert expected in reported, f"the oracle missed {expected!r} in the twin's output"


# The evidence note path: what a reviewer types, saved, commented and published.

def _hostile_notes_article(actor):
    """An article with one annotation per corpus payload, each payload its note and a comment
    on it; return (article, [(payload, annotation, comment)])."""
    article = make_article(blocks=make_blocks(*["Ketamine may help some adults."] * len(CORPUS)))
    rows = []
    for index, payload in enumerate(CORPUS):
        annotation = create_annotation(
            article=article, actor=actor, block_id=f"p{index + 1}", start=0, end=8,
            note=payload,
        )
        rows.append((payload, annotation, add_comment(annotation, actor=actor, body=payload)))
    return article, rows


@pytest.mark.django_db
def test_hostile_notes_and_comments_are_inert_when_saved_and_published(reviewer):
    article, rows = _hostile_notes_article(reviewer)
    for payload, annotation, comment in rows:
        annotation.refresh_from_db()
        assert annotation.note, payload  # the note is kept as typed
        assert violations(annotation.note_html) == [], payload
        assert violations(comment_html(comment)) == [], payload
    publication = publish_now(article)
    assert publication.body_html.count('class="note-body"') == len(CORPUS)
    assert violations(publication.body_html) == []


def _publish_with_stored_note_html(payloads):
    """Publish an article whose annotations' stored note HTML is raw hostile markup (a crafted
    backup, an old row): rendering must sanitise it again. Return the body HTML."""
    article = make_article(blocks=make_blocks(*["Ketamine may help some adults."] * len(payloads)))
    for index, payload in enumerate(payloads):
        annotation = make_annotation(article, block_id=f"p{index + 1}", start=0, end=8,
                                     verdict="supported", note="placeholder")
        Annotation.objects.filter(pk=annotation.pk).update(note_html=payload)
    publish_now(article)
    return Article.objects.get(pk=article.pk).live.body_html


@pytest.mark.django_db
def test_stored_hostile_note_html_is_sanitised_again_when_published():
    assert violations(_publish_with_stored_note_html(CORPUS)) == []


@pytest.mark.django_db
def test_stored_note_html_catches_the_known_bad_twin(twin):
    reported = "\n".join(violations(_publish_with_stored_note_html(CORPUS)))
    for expected in twin:
        assert expected in reported, f"the oracle missed {expected!r} in the published body"
