"""Builders for the hostile tests: a team, and articles put in each state by the workflow.

Every article carries unique marker words in each field a person writes (title, summary,
block text, tag, annotation note, internal comment, source title), so a test can tell which
text reached a response. Articles are created directly (the importer has its own tests) but
every state after that is reached through the real workflow and evidence functions.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

from django.utils import timezone

from articles import workflow
from articles.blocks import with_text
from articles.models import Article
from evidence.annotations import add_comment, create_annotation, resolve_comment
from evidence.sources import cite_source, get_or_create_source
from tests.conftest import make_article, make_user

State = Article.State
FIELDS = ("title", "summary", "block", "tag", "note", "comment", "source")
# Of a live article, only these fields are public; the comment is internal for ever.
PUBLIC_FIELDS = ("title", "summary", "block", "tag", "note", "source")


@dataclass
class Team:
    editor: object
    reviewer: object
    publisher: object
    nobody: object


def make_team(**names):
    """One staff user per editorial group, plus a staff user in no group."""
    return Team(
        editor=make_user("Editors", is_staff=True, **names.get("editor", {})),
        reviewer=make_user("Reviewers", is_staff=True, **names.get("reviewer", {})),
        publisher=make_user("Publishers", is_staff=True, **names.get("publisher", {})),
        nobody=make_user(is_staff=True, **names.get("nobody", {})),
    )


def markers(code):
    """Return {field: marker word} for an article whose marker code is `code`."""
    return {name: f"{code}{name}" for name in FIELDS}


def content_blocks(paragraph):
    return [
        with_text({"id": "h1", "type": "heading", "level": 2, "text": "Overview"}),
        with_text({"id": "p1", "type": "paragraph", "text": paragraph}),
    ]


@dataclass
class Built:
    article: Article
    code: str
    annotation: object
    comment: object
    source: object
    words: dict = field(default_factory=dict)


def _annotate(article, *, team, words, number):
    """Mark "Ketamine" in p1 (rated, with a note), comment on it, cite a source."""
    text = next(b for b in article.draft.blocks if b["id"] == "p1")["text"]
    start = text.index("Ketamine")
    source, _ = get_or_create_source(
        url=f"https://journal.example.org/{words['source']}/{number}",
        title=f"Study {words['source']}",
    )
    cite_source(revision=article.draft, source=source)
    annotation = create_annotation(
        article=article, actor=team.reviewer, block_id="p1", start=start,
        end=start + len("Ketamine"), certainty="low", verdict="unsupported",
        note=f"Note {words['note']} here.", sources=[source.pk],
    )
    comment = add_comment(annotation, actor=team.reviewer, body=f"Ask {words['comment']}.")
    # A reply in the thread is as internal as the comment it answers.
    add_comment(annotation, actor=team.editor, body=f"Reply {words['comment']}.",
                reply_to=comment)
    return annotation, comment, source


def build_article(team, code, *, state, number=0, tags=()):
    """Create an article whose marker words start with `code` and take it to `state`.

    `state` is an Article.State, or one of the states a single field cannot name:
    "scheduled" (approved, its publication set for next week), "restored" (published, then
    archived and restored: a draft again), and "live_with_draft", "live_in_review",
    "live_approved" (published, then edited, and the new revision left as a draft, submitted,
    or approved; the new revision's words use the code "<code>new"). `tags` go with the
    marker tag. Returns a Built.
    """
    words = markers(code)
    article = make_article(
        title=f"Title {words['title']}", summary=f"Summary {words['summary']}.",
        blocks=content_blocks(f"Ketamine {words['block']} may help some adults."),
        author=team.editor, tags=(words["tag"], *tags), slug=f"{code}-slug",
    )
    workflow.assign_reviewers(article, actor=team.editor, reviewers=[team.reviewer])
    annotation, comment, source = _annotate(article, team=team, words=words, number=number)
    built = Built(article, code, annotation, comment, source, words)
    if state == State.DRAFT:
        return built
    if state not in (State.IN_REVIEW, State.CHANGES_REQUESTED):
        resolve_comment(comment, actor=team.reviewer)
    workflow.submit(article, actor=team.editor)
    if state == State.IN_REVIEW:
        return built
    if state == State.CHANGES_REQUESTED:
        workflow.request_changes(article, actor=team.reviewer, comment=f"Fix {code}request.")
        return built
    workflow.approve(article, actor=team.reviewer)
    if state == State.APPROVED:
        return built
    if state == "scheduled":
        next_week = timezone.now() + timedelta(days=7)
        workflow.publish(article, actor=team.publisher, publish_at=next_week)
        article.refresh_from_db()
        return built
    workflow.publish(article, actor=team.publisher, comment="First publication.")
    if state == State.UNPUBLISHED:
        workflow.unpublish(article, actor=team.publisher, comment=f"Down {code}down.")
    elif state == State.ARCHIVED:
        workflow.archive(article, actor=team.publisher, comment="Archived.")
    elif state == "restored":
        workflow.archive(article, actor=team.publisher, comment="Archived.")
        workflow.restore(article, actor=team.publisher, comment=f"Back {code}back.")
    elif state in ("live_with_draft", "live_in_review", "live_approved"):
        _edit_live(article, team=team, code=code, state=state, number=number)
    article.refresh_from_db()
    return built


def _edit_live(article, *, team, code, state, number):
    """Save a new revision of a live article, annotate it, and take it to review or approval."""
    words, new = markers(code), markers(f"{code}new")
    workflow.save_revision(
        article, actor=team.editor, base_number=article.draft.number,
        title=f"Title {new['title']}", summary=f"Summary {new['summary']}.",
        blocks=content_blocks(f"Ketamine {new['block']} may help some adults."),
        tags=[words["tag"], new["tag"]],
    )
    article.refresh_from_db()
    comment = _annotate_new(article, team=team, words=new, number=number)
    if state == "live_with_draft":
        return
    if state == "live_approved":
        resolve_comment(comment, actor=team.reviewer)
    workflow.submit(article, actor=team.editor, comment=f"Again {code}again.")
    if state == "live_approved":
        workflow.approve(article, actor=team.reviewer, comment=f"Fine {code}fine.")


def _annotate_new(article, *, team, words, number):
    """Rate "may" in the new draft's p1, comment on it and cite a new source; return the
    comment."""
    text = next(b for b in article.draft.blocks if b["id"] == "p1")["text"]
    start = text.index("may")
    source, _ = get_or_create_source(
        url=f"https://journal.example.org/{words['source']}/{number}",
        title=f"Study {words['source']}",
    )
    cite_source(revision=article.draft, source=source)
    annotation = create_annotation(
        article=article, actor=team.reviewer, block_id="p1", start=start, end=start + 3,
        certainty="moderate", verdict="mixed", note=f"Note {words['note']} here.",
        sources=[source.pk],
    )
    return add_comment(annotation, actor=team.reviewer, body=f"Ask {words['comment']}.")


# HTML checks ---------------------------------------------------------------------------------

DANGEROUS_SCHEMES = re.compile(r"^\s*(javascript|data|vbscript|livescript)\s*:", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "poster",
                  "background", "ping", "data", "codebase", "cite", "lowsrc"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet",
                  "meta", "link", "style", "svg", "math", "template", "noscript"}
# Where a page may legitimately have these tags (the base template's head, admin forms).
ALLOWED_IN_HEAD = {"meta", "link"}
# The evidence chart under an article's title is the site's own SVG (articles/evidencechart.py,
# one per page, this class); any other SVG in a page is markup that got through.
OUR_SVG_CLASS = "evidence-chart-bar"


# Scripts that hold data and never run; their text must still be escaped JSON.
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}


def _strip_controls(value):
    # Browsers drop ASCII control characters and whitespace inside a scheme ("java\tscript:").
    return re.sub(r"[\x00-\x20\x7f]+", "", value or "")


class ScriptAudit(HTMLParser):
    """Collect everything in a page that could run script, as readable problem lines."""

    def __init__(self, *, allowed_tags=()):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.text = []
        self.allowed_tags = set(allowed_tags)
        self._in_head = False
        self._in_script = None
        self._our_svg = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        values = dict(attrs)
        if tag == "head":
            self._in_head = True
        if tag == "body":
            self._in_head = False
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}> (inline style)")
            if name in URL_ATTRIBUTES and DANGEROUS_SCHEMES.match(_strip_controls(value)):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            src = values.get("src") or ""
            kind = values.get("type") or ""
            ours = src.startswith("/") and not src.startswith("//")
            if not (ours or kind in DATA_SCRIPT_TYPES):
                self.problems.append(f"<script {attrs!r}> is not one of ours")
            self._in_script = kind
        elif tag == "form":
            action = values.get("action") or ""
            if action.startswith(("http:", "https:", "//")):
                self.problems.append(f"<form action={action!r}> leaves the site")
        elif tag in FORBIDDEN_TAGS:
            if tag in ALLOWED_IN_HEAD and self._in_head:
                return
            if tag == "svg" and values.get("class") == OUR_SVG_CLASS and not self._our_svg:
                self._our_svg = True
                return
            if tag in self.allowed_tags:
                return
            self.problems.append(f"<{tag}> in the body")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None
        if tag == "head":
            self._in_head = False

    def handle_data(self, data):
        if self._in_script is None:
            self.text.append(data)
        elif "<" in data:
            self.problems.append(f"raw markup in a <script type={self._in_script!r}>")


def audit_html(html, *, allowed_tags=()):
    """Return (problems, visible text) of an HTML page; `allowed_tags` are the page's own
    (e.g. the admin's inline SVG icons), still checked for handlers and addresses."""
    audit = ScriptAudit(allowed_tags=allowed_tags)
    audit.feed(html)
    audit.close()
    return audit.problems, "".join(audit.text)


def json_ld_blocks(html):
    return re.findall(
        r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, flags=re.DOTALL
    )
