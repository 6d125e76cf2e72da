"""No visitor sees unpublished text, however they look for it.

Articles in every state are built through the real workflow, each with unique marker words in
every field. Anonymous, signed in without a group, and staff without a group, a visitor
crawls everything the public site and the public API link to (pages of every list, every
id and slug a JSON answer names, the schema's paths, the search form), then tries every
public route with every slug, id and uuid in the database: only the text of a live
publication may appear, never a draft's, never an internal comment. The crawl must reach
every public route the URLconf declares, so a new route cannot escape it.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from taggit.models import Tag

from articles import workflow
from articles.models import Article, Publication, Revision
from articles.preview import create_share_link
from claims import services as claim_services
from claims.models import Claim
from evidence.annotations import create_annotation
from evidence.models import Annotation, ReviewComment, Source
from evidence.sources import cite_source, get_or_create_source
from tests.conftest import make_article, make_user
from tests.hostile.crawl import NOT_PUBLIC, Crawler, fill, public_routes, route_of
from tests.hostile.helpers import (
    PUBLIC_FIELDS,
    build_article,
    content_blocks,
    make_team,
    markers,
)

State = Article.State
# code → the state its article is taken to.
CASES = {
    "zqxdft": State.DRAFT,
    "zqxrev": State.IN_REVIEW,
    "zqxchg": State.CHANGES_REQUESTED,
    "zqxapr": State.APPROVED,
    "zqxsch": "scheduled",
    "zqxpub": State.PUBLISHED,
    "zqxliv": "live_with_draft",
    "zqxlvr": "live_in_review",
    "zqxlva": "live_approved",
    "zqxunp": State.UNPUBLISHED,
    "zqxarc": State.ARCHIVED,
    "zqxrst": "restored",
}
LIVE_CODES = {"zqxpub", "zqxliv", "zqxlvr", "zqxlva"}
# An article in review whose draft is shown to an outside expert through a share link.
SHARED = "zqxshr"
# Published articles enough for a second page of every list: the site's lists show 12 a
# page, the API 20 (articles and sources).
FILLERS = [f"zqxf{number:02d}" for number in range(18)]
FILLER_TAG = "zqxfilltag"
# The front doors: the site's home page, robots.txt, and the API's documentation.
ENTRY_POINTS = ["/", "/robots.txt", "/api/docs/"]
# Words typed into every search form the crawl meets: the prefix of every marker word (a
# search that matches substrings finds every article), and words every article has.
FORM_WORDS = ["zqx", "ketamine", "title", "summary", "note"]
CRAWL_LIMIT = 3000
# Event comments written by the workflow steps above: internal, like the review threads.
EVENT_WORDS = ("request", "down", "back", "again", "fine")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Build the articles once for the module (the tests only read)."""
    with django_db_blocker.unblock(), transaction.atomic():
        team = make_team()
        built = {
            code: build_article(team, code, state=state, number=index)
            for index, (code, state) in enumerate(CASES.items())
        }
        for index, code in enumerate(FILLERS, start=len(CASES)):
            publish_filler(team, code, number=index)
        built[SHARED], token = shared_draft(team, SHARED, number=len(CASES) + len(FILLERS))
        reviewer_profiles(team)
        build_claims(team, built)
        yield {
            "built": built,
            "team": team,
            "token": token,
            "reader": make_user(username="reader-in-no-group"),
        }
        transaction.set_rollback(True)


# Claims: one whose page a publisher published (linked from a draft too, which its page must
# not show), and one linked only from unpublished drafts, which must never be public.
PUBLIC_CLAIM = "zqxclmpub"
DRAFT_CLAIM = "zqxclmdft"


def build_claims(team, built):
    public = claim_services.create_claim(
        statement=f"Ketamine {PUBLIC_CLAIM} claim.", actor=team.editor
    )
    claim_services.rate_claim(public, actor=team.reviewer, expected_version=public.version,
                              verdict="unsupported", certainty="low", note="Claim note.")
    claim_services.publish_claim(public, actor=team.publisher)
    claim_services.link_annotation(built["zqxdft"].annotation, claim=public, actor=team.editor)
    hidden = claim_services.create_claim(
        statement=f"Ketamine {DRAFT_CLAIM} claim.", actor=team.editor
    )
    claim_services.link_annotation(built["zqxrev"].annotation, claim=hidden, actor=team.editor)


def publish_filler(team, code, *, number):
    """Publish a plain article citing a source of its own (no annotation: quicker to build)."""
    words = markers(code)
    article = make_article(
        title=f"Title {words['title']}", summary=f"Summary {words['summary']}.",
        blocks=content_blocks(f"Ketamine {words['block']} may help some adults."),
        author=team.editor, tags=(words["tag"], FILLER_TAG), slug=f"{code}-slug",
    )
    source, _ = get_or_create_source(
        url=f"https://journal.example.org/{words['source']}/{number}",
        title=f"Study {words['source']}",
    )
    cite_source(revision=article.draft, source=source)
    workflow.assign_reviewers(article, actor=team.editor, reviewers=[team.reviewer])
    workflow.submit(article, actor=team.editor)
    workflow.approve(article, actor=team.reviewer)
    workflow.publish(article, actor=team.publisher)


def shared_draft(team, code, *, number):
    """An article in review, shared with an outside expert. Its draft has a review thread (a
    comment and a reply), a reviewer's note orphaned by an edit (shown to the editorial team
    only), and a request for changes: the share link must show none of them."""
    built = build_article(team, code, state=State.IN_REVIEW, number=number)
    article = built.article
    text = next(b for b in article.draft.blocks if b["id"] == "p1")["text"]
    start = text.index("adults")
    orphan = create_annotation(
        article=article, actor=team.reviewer, block_id="p1", start=start,
        end=start + len("adults"), note=f"Orphan {code}orphan here.",
    )
    workflow.request_changes(article, actor=team.reviewer, comment=f"Fix {code}request.")
    workflow.save_revision(
        article, actor=team.editor, base_number=article.draft.number,
        blocks=content_blocks(f"Ketamine {built.words['block']} may help some people."),
    )
    orphan.refresh_from_db()
    assert orphan.status == Annotation.Status.ORPHANED
    workflow.submit(article, actor=team.editor)
    article.refresh_from_db()
    _, token = create_share_link(article, actor=team.reviewer, note="For an outside expert.")
    return built, token


# Reviewer profiles: one published (then edited by its owner, unpublished), one draft.
PROFILE_SECRETS = ("zqxprofedit", "zqxprofdraft", "zqxprofdraft-slug", "zqxprofsubm")


def reviewer_profiles(team):
    """The team's reviewer has a published profile whose owner has since edited it (not
    republished); another reviewer's profile is a submitted draft. Neither edit nor draft may
    show anywhere public."""
    from reviewers import profiles
    from reviewers.models import ReviewerProfile

    published = ReviewerProfile.objects.create(
        user=team.reviewer, name="Dr Zqx Published", slug="zqxprofpub",
        qualifications="MBBS", conflicts_of_interest="None.",
    )
    profiles.submit_profile(published, actor=team.reviewer)
    profiles.publish_profile(published, actor=team.publisher)
    ReviewerProfile.objects.filter(pk=published.pk).update(
        biography="Unpublished zqxprofedit biography.", qualifications="zqxprofedit"
    )
    other = make_user("Reviewers", username="second-reviewer")
    draft = ReviewerProfile.objects.create(
        user=other, name="Dr zqxprofdraft", slug="zqxprofdraft-slug",
        conflicts_of_interest="zqxprofsubm statement.",
    )
    profiles.submit_profile(draft, actor=other)


def secret_words():
    """Every marker word that must never reach a visitor of the public site."""
    secrets = set()
    for code in [*CASES, SHARED]:
        words = markers(code)
        if code in LIVE_CODES:
            secrets.add(words["comment"])
            secrets.update(markers(f"{code}new").values())
        else:
            # The slug too: a sitemap or feed naming it tells that the article exists.
            secrets.update((*words.values(), f"{code}-slug"))
        secrets.update(f"{code}{word}" for word in EVENT_WORDS)
    secrets.add(f"{SHARED}orphan")
    secrets.update(PROFILE_SECRETS)
    secrets.add(DRAFT_CLAIM)
    return secrets


def public_words():
    return {markers(code)[name] for code in LIVE_CODES for name in PUBLIC_FIELDS} | {
        PUBLIC_CLAIM}


def database_keys():
    """Every slug, id and uuid of every article, revision, publication, annotation, source,
    review comment and tag, published or not."""
    keys = set()
    for slug, pk, uuid in Article.objects.values_list("slug", "pk", "uuid"):
        keys.update((slug, pk, uuid))
    for pk, number in Revision.objects.values_list("pk", "number"):
        keys.update((pk, number))
    for model in (Publication, Annotation, Source, ReviewComment):
        keys.update(model.objects.values_list("pk", flat=True))
    for slug, name in Tag.objects.values_list("slug", "name"):
        keys.update((slug, name))
    for slug, pk in Claim.objects.values_list("slug", "pk"):
        keys.update((slug, pk))
    return {str(key) for key in keys}


VISITORS = ["anonymous", "signed in, no group", "staff, no group"]


def client_for(world, visitor):
    client = Client()
    if visitor == "signed in, no group":
        client.force_login(world["reader"])
    elif visitor == "staff, no group":
        client.force_login(world["team"].nobody)
    return client


@pytest.fixture(autouse=True)
def no_search_limit(settings):
    # Many searches from one client: the anonymous search rate is not what this tests.
    settings.KETASITE_THROTTLE_SEARCH = ""


@pytest.fixture(scope="module")
def crawls():
    """The finished crawl of each visitor, shared by the tests that read it."""
    return {}


@pytest.fixture
def crawl_as(db, world, crawls):
    def crawl(visitor):
        if visitor not in crawls:
            crawler = Crawler(client_for(world, visitor), secrets=secret_words(),
                              form_words=FORM_WORDS)
            finished = crawler.crawl(ENTRY_POINTS, limit=CRAWL_LIMIT)
            assert finished, f"the crawl did not finish within {CRAWL_LIMIT} answers"
            crawls[visitor] = crawler
        return crawls[visitor]

    return crawl


def assert_clean(crawler):
    assert not crawler.leaks, "unpublished text shown:\n" + "\n".join(
        f"  {where} [{status}]: {words}" for where, status, words in crawler.leaks
    )
    assert not crawler.refusals, f"answers a visitor should never get: {crawler.refusals}"


# The world ------------------------------------------------------------------------------------


def test_the_world_has_every_state_the_crawl_must_not_leak(db, world):
    built = world["built"]

    def article(code):
        return Article.objects.get(pk=built[code].article.pk)

    for code in ("zqxdft", "zqxrev", "zqxchg", "zqxapr", "zqxunp", "zqxarc"):
        assert article(code).state == CASES[code], code
    scheduled = article("zqxsch")
    assert scheduled.state == State.APPROVED and scheduled.live_id is None
    assert scheduled.publish_at > timezone.now() + timedelta(days=6)
    restored = article("zqxrst")
    assert restored.state == State.DRAFT and restored.live_id is None
    assert restored.publications.exists(), "the restored article was published once"
    for code, state in (("zqxliv", State.DRAFT), ("zqxlvr", State.IN_REVIEW),
                        ("zqxlva", State.APPROVED)):
        live = article(code)
        assert live.state == state and live.live_id is not None, code
        assert live.draft.number > live.live.revision.number, code
    assert Publication.objects.live().count() == len(LIVE_CODES) + len(FILLERS)


# The crawl ------------------------------------------------------------------------------------


@pytest.mark.parametrize("visitor", VISITORS)
def test_crawl_of_everything_linked_finds_only_published_text(crawl_as, visitor):
    crawler = crawl_as(visitor)
    assert_clean(crawler)
    everything = "\n".join(crawler.bodies)
    # The crawl did reach the live articles, their notes and sources: their words are there.
    for word in sorted(public_words()):
        assert word in everything, f"the crawl never found the live {word}"


@pytest.mark.parametrize("visitor", ["anonymous", "signed in, no group"])
def test_crawl_reaches_every_public_route_of_the_urlconf(crawl_as, visitor):
    routes = public_routes()
    # The introspection itself sees the routes a reader knows.
    for route in ("", "articles/<slug:slug>/", "search/", "api/v1/annotations/<int:pk>/",
                  "api/v1/sources/<int:pk>/", "api/v1/articles/<slug:slug>/annotations/"):
        assert route in routes, route
    missed = sorted(set(routes) - crawl_as(visitor).hits())
    assert not missed, (
        f"public routes the crawl never reached with a 2xx or 3xx: {missed}; link them, or "
        f"list them in tests/hostile/crawl.NOT_PUBLIC with the reason ({sorted(NOT_PUBLIC)})"
    )


def test_crawl_turns_to_the_second_page_of_every_list(crawl_as):
    crawler = crawl_as("anonymous")
    second_pages = {
        v.route for v in crawler.visits.values()
        if v.status == 200 and "page=2" in v.path
    }
    for route in ("", "tags/<slug:slug>/", "search/", "api/v1/articles/", "api/v1/sources/"):
        assert route in second_pages, f"no second page of /{route} was reached"
    # Every live article is on a list page, and some only on the second.
    home = {v.path for v in crawler.visits.values() if v.route == "" and v.status == 200}
    assert {"/", "/?page=2"} <= home


def test_crawl_follows_w3c_ids_and_every_id_a_json_answer_names(db, world, crawl_as):
    crawler = crawl_as("anonymous")
    live = [world["built"][code] for code in sorted(LIVE_CODES)]
    paths = crawler.ok_paths()
    jsonld = {v.path for v in crawler.visits.values()
              if v.accept == "application/ld+json" and v.status == 200}
    for built in live:
        annotation = f"/api/v1/annotations/{built.annotation.pk}/"
        assert annotation in paths and annotation in jsonld, annotation
        assert f"/api/v1/sources/{built.source.pk}/" in paths
        assert f"/api/v1/articles/{built.article.slug}/annotations/" in jsonld


# Guessing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("visitor", ["anonymous", "signed in, no group"])
def test_every_public_route_with_every_key_in_the_database_shows_no_draft(
    db, world, crawl_as, visitor
):
    crawled = crawl_as(visitor)
    prober = Crawler(client_for(world, visitor), secrets=secret_words(), form_words=())
    prober.media_types = crawled.media_types
    keys = database_keys()
    # The keys of unpublished articles, annotations and sources are among them.
    draft = world["built"]["zqxdft"]
    assert {draft.article.slug, str(draft.article.uuid), str(draft.annotation.pk),
            str(draft.source.pk)} <= keys
    routes = [*public_routes(), "preview/<int:pk>/", "shared/<str:token>/"]
    # Signed in, the API answers through DRF in every representation; anonymous, the default
    # one is a stored document, so only the anonymous probe asks for the others too.
    prober.probe(routes, keys, representations=visitor == "anonymous")
    assert_clean(prober)
    # Nothing a guess finds is hidden from the crawl: every page that answered was linked.
    hidden = sorted(prober.ok_paths() - crawled.ok_paths())
    assert not hidden, f"pages that answer but no link leads to: {hidden}"
    for code, built in world["built"].items():
        if code in LIVE_CODES:
            continue
        for path in (fill("articles/<slug:slug>/", built.article.slug),
                     f"/api/v1/articles/{built.article.slug}/",
                     f"/api/v1/annotations/{built.annotation.pk}/",
                     f"/preview/{built.article.pk}/"):
            assert prober.visits[(path, "")].status in (404, 410), path


@pytest.mark.parametrize("path", ["/search/", "/api/v1/articles/"])
def test_searching_for_each_marker_finds_only_published_text(db, world, path):
    client = Client()
    secrets = secret_words()
    for word in sorted(secrets):
        response = client.get(path, {"q": word})
        assert response.status_code == 200, (path, word)
        # The search page repeats the query itself; nothing else may match.
        body = response.content.decode().lower().replace(word, "")
        leaked = sorted(secret for secret in secrets if secret in body)
        assert not leaked, f"{path}?q={word} shows {leaked}"
        assert 'href="/articles/' not in body, f"{path}?q={word} lists an article"
        if path.startswith("/api/"):
            assert response.json()["count"] == 0, word


def test_draft_tags_have_no_public_tag_page_nor_api_entry(db, world):
    client = Client()
    secrets = secret_words()
    names = {tag["name"] for tag in client.get("/api/v1/tags/").json()}
    assert markers("zqxpub")["tag"] in names
    assert not names & secrets
    for code in [*CASES, *(f"{code}new" for code in LIVE_CODES)]:
        tag = markers(code)["tag"]
        page = client.get(f"/tags/{tag}/")
        api = client.get("/api/v1/articles/", {"tag": tag})
        if code in LIVE_CODES:
            assert page.status_code == 200, tag
            assert api.json()["count"] == 1, tag
        else:
            assert page.status_code == 404, tag
            assert api.json()["count"] == 0, tag


def test_public_api_filters_show_only_published_articles(db, world):
    client = Client()
    secrets = secret_words()
    live = {world["built"][code].article.slug for code in LIVE_CODES}
    live |= {f"{code}-slug" for code in FILLERS}
    for params in ({"verdict": "unsupported"}, {"verdict": "mixed"}, {"certainty": "low"},
                   {"certainty": "moderate"}, {"ordering": "title"},
                   {"ordering": "-published_at"}, {"page_size": "100"}):
        response = client.get("/api/v1/articles/", params)
        assert response.status_code == 200, params
        body = response.content.decode().lower()
        assert not sorted(w for w in secrets if w in body), params
        assert {item["slug"] for item in response.json()["results"]} <= live


@pytest.mark.parametrize("code", ["zqxliv", "zqxlvr", "zqxlva"])
def test_live_article_with_a_new_revision_shows_its_live_text_only(db, world, code):
    client = Client()
    live = world["built"][code].article
    new_words = set(markers(f"{code}new").values())
    for path in (f"/articles/{live.slug}/", f"/api/v1/articles/{live.slug}/",
                 f"/api/v1/articles/{live.slug}/annotations/",
                 f"/api/v1/articles/{live.slug}/annotations/?format=jsonld"):
        body = client.get(path).content.decode()
        assert markers(code)["block"] in body, path
        assert not sorted(word for word in new_words if word in body), path


# Share links ------------------------------------------------------------------------------------


def test_share_link_shows_the_draft_but_no_internal_comment_nor_orphaned_note(db, world):
    response = Client().get(f"/shared/{world['token']}/")
    assert response.status_code == 200
    body = response.content.decode()
    words = markers(SHARED)
    # The outside expert reads the draft as it would be published, with its rated note.
    for shown in (words["title"], words["block"], words["note"]):
        assert shown in body, shown
    assert route_of(f"/shared/{world['token']}/") == "shared/<str:token>/"
    hidden = [words["comment"], f"{SHARED}request", f"{SHARED}orphan"]
    shown = [word for word in hidden if word in body]
    assert not shown, f"the share link shows internal text: {shown}"
    assert response["Cache-Control"] == "private, no-store"


def test_preview_and_share_link_urls_without_a_token_show_nothing(db, world):
    client = Client()
    secrets = secret_words()
    for built in world["built"].values():
        for path in (f"/preview/{built.article.pk}/", f"/shared/{built.article.pk}/",
                     f"/shared/{built.article.uuid}/", "/shared/x/", "/preview/0/"):
            response = client.get(path)
            assert response.status_code == 404, path
            body = response.content.decode().lower()
            assert not sorted(w for w in secrets if w in body), path
