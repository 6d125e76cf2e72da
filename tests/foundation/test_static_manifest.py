"""Every page renders with the static storage production uses.

The other tests use Django's plain StaticFilesStorage, where `{% static 'css/typo.css' %}` is
just a URL. Production uses whitenoise's CompressedManifestStaticFilesStorage, where a name
missing from the manifest raises, and the page is a 500. Here `collectstatic` runs with that
storage into a temporary STATIC_ROOT, and every page (public, account, admin with the
annotator, API docs, error pages) is loaded with DEBUG off; then every static URL the pages
name is fetched through whitenoise.
"""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.test.signals import template_rendered
from django.urls import reverse
from lxml import html as lxml_html

from articles.models import Article
from articles.preview import create_share_link
from claims import services as claim_services
from evidence.models import Annotation, DualReviewPolicy
from ketasite.middleware import server_error, service_unavailable_response
from public import frozen
from tests.conftest import make_user, publish_now
from tests.hostile.helpers import build_article, make_team

State = Article.State
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
# Templates that no page renders: the password-reset mail, and 410.html, which nothing uses
# (a taken-down article's 410 renders articles/gone.html, which 410.html only extends).
NOT_PAGES = {"registration/password_reset_email.html", "410.html"}


def production_storages():
    return {
        "default": settings.STORAGES["default"],
        "staticfiles": {"BACKEND": MANIFEST_STORAGE},
    }


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """A STATIC_ROOT filled by `collectstatic` with the manifest storage, once per module."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STORAGES=production_storages(), STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (root / "staticfiles.json").is_file()
    return root


@pytest.fixture
def production_static(static_root, monkeypatch):
    # The article page shell is rendered once per process: drop the one rendered earlier
    # with the plain storage's names.
    frozen._page_shell.cache_clear()
    with override_settings(STORAGES=production_storages(), STATIC_ROOT=static_root,
                           DEBUG=False):
        yield static_root
    frozen._page_shell.cache_clear()


@pytest.fixture
def rendered_templates():
    names = set()

    def record(sender, template, **kwargs):
        names.add(template.name)

    template_rendered.connect(record)
    yield names
    template_rendered.disconnect(record)


def static_urls(response):
    """Return the /static/ URLs an HTML response links to (stylesheets, scripts, images)."""
    if not response.get("Content-Type", "").startswith("text/html") or not response.content:
        return set()
    tree = lxml_html.fromstring(response.content)
    found = tree.xpath("//link/@href | //script/@src | //img/@src")
    return {url.split("?")[0] for url in found if url.startswith(settings.STATIC_URL)}


def site_pages(team, superuser):
    """Return [(client, url, expected status)] for every page of the site."""
    from reviewers import profiles
    from reviewers.models import ReviewerProfile

    # Published before the live article, whose page then credits its reviewer with a link.
    profile = ReviewerProfile.objects.create(
        user=team.reviewer, name="Dr Static", slug="dr-static", conflicts_of_interest="None.",
    )
    profiles.submit_profile(profile, actor=team.reviewer)
    profiles.publish_profile(profile, actor=team.publisher)
    live = build_article(team, "smlive", state=State.PUBLISHED)
    gone = build_article(team, "smgone", state=State.UNPUBLISHED)
    draft = build_article(team, "smdraft", state=State.IN_REVIEW)
    _, token = create_share_link(draft.article, actor=team.reviewer)
    # A republication that changed a rating (changelog claim lines, the claim's history), and
    # the draft in dual review (the annotator's independent ratings).
    Annotation.objects.filter(pk=live.annotation.pk).update(verdict="supported")
    publish_now(live.article, change_note="Re-rated.")
    DualReviewPolicy.objects.create(article=draft.article)

    anonymous = Client()
    pages = [(anonymous, url, 200) for url in (
        "/", f"/articles/{live.article.slug}/", f"/tags/{live.words['tag']}/",
        "/search/", "/search/?q=Ketamine", "/how-we-rate-evidence/", "/feed/", "/sitemap.xml",
        "/sitemap-articles.xml",
        "/reviewers/", "/reviewers/dr-static/",
        "/robots.txt", f"/shared/{token}/",
        f"/articles/{live.article.slug}/claims/{live.annotation.pk}/",
        "/accounts/password-reset/", "/accounts/password-reset/done/", "/accounts/reset/done/",
        "/accounts/reset/MQ/not-a-valid-token/", "/admin/login/",
        "/api/docs/", "/api/docs/?script=", "/api/schema/",
    )]
    pages += [(anonymous, f"/articles/{gone.article.slug}/", 410),
              (anonymous, "/articles/no-such-article/", 404)]
    claim = claim_services.create_claim(statement="Ketamine smclaim claim.", actor=team.editor)
    claim_services.rate_claim(claim, actor=team.reviewer, expected_version=claim.version,
                              verdict="supported", certainty="low")
    claim_services.publish_claim(claim, actor=team.publisher)
    pages += [(anonymous, "/claims/", 200), (anonymous, f"/claims/{claim.slug}/", 200)]

    editor = Client()
    editor.force_login(team.editor)
    pages += [(editor, url, 200) for url in (
        f"/preview/{draft.article.pk}/",
        f"/admin/evidence/annotation/annotate/{draft.article.pk}/",
    )]

    staff = Client()
    staff.force_login(superuser)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    admin_urls = {"/admin/", "/admin/password_change/", "/admin/articles/article/import/",
                  "/admin/jobs/job/import/",
                  "/admin/articles/article/reviews/",
                  "/admin/evidence/reviewerrating/agreement/",
                  f"/admin/articles/article/{draft.article.pk}/revisions/",
                  f"/admin/articles/article/{draft.article.pk}/revisions/diff/?from=1&to=1",
                  f"/admin/claims/claim/merge/?ids={claim.pk}"}
    for app in admin.site.get_app_list(request):
        for model in app["models"]:
            admin_urls.add(model["admin_url"])
            if model.get("add_url"):
                admin_urls.add(model["add_url"])
            model_admin = admin.site.get_model_admin(model["model"])
            first = model_admin.get_queryset(request).order_by("pk").first()
            if first is not None:
                info = (model["model"]._meta.app_label, model["model"]._meta.model_name)
                admin_urls.add(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
                admin_urls.add(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
    pages += [(staff, url, 200) for url in sorted(admin_urls)]
    return pages


@pytest.mark.django_db(transaction=False)
def test_every_page_renders_with_the_manifest_storage(production_static, rendered_templates):
    team = make_team()
    superuser = make_user(username="staticadmin", is_staff=True, is_superuser=True)
    failures, urls = [], set()

    def load(client, url, expected, method="get", **data):
        try:
            response = getattr(client, method)(url, **data)
        except Exception as error:  # noqa: BLE001 - every page's failure is listed at once
            failures.append(f"{method.upper()} {url}: raised {error!r}")
            return None
        if response.status_code != expected:
            failures.append(f"{method.upper()} {url}: {response.status_code}, not {expected}")
        urls.update(static_urls(response))
        return response

    for client, url, expected in site_pages(team, superuser):
        load(client, url, expected)

    # Pages that only a POST (or too many requests) shows: an import's report, the reset, search
    # and sign-in refusals.
    editor = Client()
    editor.force_login(team.editor)
    upload = io.BytesIO(b"A static test import\n\nKetamine text for the import report.")
    upload.name = "static-manifest.txt"
    load(editor, "/admin/articles/article/import/", 200, "post", data={"files": upload})
    too_many = [io.BytesIO(b"Too many\n\nKetamine.") for _ in range(51)]
    for number, extra in enumerate(too_many):
        extra.name = f"too-many-{number}.txt"
    load(editor, "/admin/jobs/job/import/", 400, "post", data={"files": too_many})
    with override_settings(KETASITE_RESET_LIMIT_PER_CLIENT=1):
        reset = Client()
        load(reset, "/accounts/password-reset/", 302, "post", data={"email": "a@example.org"})
        load(reset, "/accounts/password-reset/", 429, "post", data={"email": "a@example.org"})
    with override_settings(KETASITE_THROTTLE_SEARCH="1/min"):
        searcher = Client(REMOTE_ADDR="192.0.2.44")  # a client that has not searched yet
        load(searcher, "/search/?q=static", 200)
        load(searcher, "/search/?q=manifest", 429)
    login = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        load(login, "/admin/login/", 200, "post",
             data={"username": "staticadmin", "password": "wrong"})
    load(login, "/admin/login/", 429, "post",
         data={"username": "staticadmin", "password": "wrong"})

    # The 500 and 503 pages, as their handlers render them.
    for response in (server_error(RequestFactory().get("/broken/")),
                     service_unavailable_response(RequestFactory().get("/down/"))):
        urls.update(static_urls(response))

    assert not failures, "\n".join(failures)

    # The pages name the hashed files, and whitenoise serves every file a page names.
    assert any(re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", url) for url in urls), urls
    assert any(re.fullmatch(r"/static/js/annotator\.[0-9a-f]{12}\.js", url) for url in urls)
    assert any(url.startswith("/static/drf_spectacular_sidecar/") for url in urls), urls
    fetcher = Client()
    missing = [url for url in sorted(urls) if fetcher.get(url).status_code != 200]
    assert not missing, f"named by a page but not served: {missing}"

    # Every page template of the site was rendered: a new page must be added above.
    ours = {str(path.relative_to(TEMPLATES_DIR)) for path in TEMPLATES_DIR.rglob("*.html")}
    unrendered = sorted(ours - NOT_PAGES - rendered_templates)
    assert not unrendered, f"pages this test does not load: {unrendered}"
