"""Two app servers sharing one PostgreSQL and one Redis behave as one site.

Real processes: two gunicorn servers (one sync worker each, DEBUG off, as deployed) on their
own ports, over one PostgreSQL database and one Redis, behind what a proxy would send them
(the public `Host`, and `X-Forwarded-For` with `KETASITE_NUM_PROXIES=1`). What one server does
the other must see:

- a publish and a take-down made on A through the editorial API, by a publisher, are seen on
  B (page and API detail, and the home page B had cached) within a second;
- a session signed in on A works on B, and signing out on B ends it on A;
- an API token issued on A works on B, and revoking it on B ends it on A;
- the anonymous API throttle counts requests across both servers, and the sign-in lock-out
  counts failures across both;
- the page cache is shared: a page A cached is a hit on B (`X-Cache`), and the other way.

Both servers are started once for the module, over the suite's migrated test database (no
migration runs here), which the module flushes when it ends, as after a transactional test.
"""

import contextlib
import http.client
import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
SECRET = "two-servers-test-secret-key-0123456789-not-for-production"  # noqa: S105
PASSWORD = "pw-for-tests-only"  # noqa: S105  (tests.conftest.make_user's password)
# The host the proxy passes on: both servers see the same one, as behind a real proxy.
PUBLIC_HOST = "ketasite.test"
# What the requirement allows: a change made on one server is seen on the other a second
# after the server acknowledged it.
WITHIN_SECONDS = 1.0
# The anonymous API rate given to both servers: low, and per hour, so that one test can reach
# it and a window boundary almost never falls inside the test (it is avoided below).
ANON_LIMIT = 6
# Failed sign-ins before django-axes locks a user name out (for one client address).
FAILURE_LIMIT = 2

pytestmark = [
    # The suite's test database must exist: the servers run on it.
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(not Path(GUNICORN).exists(), reason="gunicorn is not installed"),
]

_addresses = itertools.count(1)


def fresh_address():
    """A client address of its own (in 10.0.0.0/8), so no test shares a throttle bucket or a
    lock-out with another."""
    number = next(_addresses)
    return f"10.0.{number // 250}.{number % 250 + 1}"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    cookies: dict = field(default_factory=dict)

    @property
    def cache(self):
        return self.headers.get("X-Cache")

    def json(self):
        return json.loads(self.body)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen

    def request(self, method, path, *, body=None, headers=None, cookies=None, client=None):
        """One request, as the proxy would forward it: the public Host and the client's
        address in X-Forwarded-For (a fresh address unless `client` is given)."""
        sent = {"Host": PUBLIC_HOST, "X-Forwarded-For": client or fresh_address()}
        sent.update(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        if isinstance(body, dict):
            body = json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            jar = SimpleCookie()
            for line in response.headers.get_all("Set-Cookie") or []:
                jar.load(line)
            return Answer(response.status, response.headers, response.read(),
                          {name: morsel.value for name, morsel in jar.items()})
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)


# ---------------------------------------------------------------------------------------------
# The site: one database, one Redis, two servers


def _free_port(taken):
    """A free loopback port not in `taken` (ports given to servers not yet listening): from
    KETASITE_TEST_PORTS ("9200-9249") when it is set (a shared machine gives each engineer a
    range), else one the system picks."""
    span = os.environ.get("KETASITE_TEST_PORTS", "")
    candidates = [0] * 10
    if span:
        low, high = (int(part) for part in span.split("-"))
        candidates = range(low, high + 1)
    for candidate in candidates:
        if candidate in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = sock.getsockname()[1]
        if port not in taken:
            return port
    raise RuntimeError(f"no free port in {span or 'the system range'}")


@contextlib.contextmanager
def _suite_test_database():
    """Yield the DATABASE_URL of the suite's migrated test database, for the servers; flush it
    afterwards (as pytest-django does after a transactional test), so the tests after this
    module find it empty."""
    from django.core.management import call_command
    from django.db import connection

    base = urlsplit(os.environ["DATABASE_URL"])
    try:
        yield urlunsplit(base._replace(path=f"/{connection.settings_dict['NAME']}"))
    finally:
        call_command("flush", interactive=False, verbosity=0)


def _env(database_url, redis_url, prefix, static_root):
    env = {key: value for key, value in os.environ.items()
           if key not in ("KETASITE_TESTING", "DJANGO_DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="ketasite.settings", DJANGO_DEBUG="false",
        # One secret for every server: sessions, CSRF and signed values are checked with it.
        DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS=PUBLIC_HOST,
        DJANGO_SECURE_SSL_REDIRECT="false", DATABASE_URL=database_url, REDIS_URL=redis_url,
        KETASITE_CACHE_PREFIX=prefix, KETASITE_SITE_URL=f"http://{PUBLIC_HOST}",
        # Behind one proxy: the client is the address it appended to X-Forwarded-For.
        KETASITE_NUM_PROXIES="1", KETASITE_THROTTLE_ANON=f"{ANON_LIMIT}/hour",
        KETASITE_LOGIN_FAILURE_LIMIT=str(FAILURE_LIMIT),
        # Workflow mail waits in the database queue (no worker here), as in production.
        KETASITE_JOB_BACKEND="database",
        DJANGO_LOG_LEVEL="ERROR", PYTHONPATH=str(ROOT), DJANGO_STATIC_ROOT=str(static_root),
    )
    return env


SETUP = """
import json
from django.core.management import call_command
from articles import workflow
from articles.models import Article
from tests.conftest import make_article, make_user, publish_now
from tests.workflow.conftest import ready_article
# DEBUG is off, as deployed: pages name their hashed static files. The API's browsable and
# documentation assets are left out: no page of this test names them.
call_command("collectstatic", interactive=False, verbosity=0,
             ignore_patterns=["drf_spectacular_sidecar", "rest_framework", "*.map"])
s = "{s}"
publisher = make_user("Publishers", username=f"publisher-{{s}}", is_staff=True)
editor = make_user("Editors", username=f"editor-{{s}}", is_staff=True)
guarded = make_user("Editors", username=f"guarded-{{s}}")
for slug in ("shared", "taken-down"):
    publish_now(make_article(title=f"Claim {{slug}}", slug=f"{{slug}}-{{s}}"))
coming = ready_article(author=editor, reviewer=make_user("Reviewers", username=f"rev-{{s}}"),
                       state=Article.State.APPROVED)
# The slug is part of what was approved: pin the approval again after setting it.
Article.objects.filter(pk=coming.pk).update(slug=f"coming-{{s}}")
coming.refresh_from_db()
Article.objects.filter(pk=coming.pk).update(
    approval_fingerprint=workflow.approval_fingerprint(coming))
print(json.dumps({{
    "publisher": publisher.username, "editor": editor.username, "guarded": guarded.username,
    "shared": f"shared-{{s}}", "taken_down": Article.objects.get(slug=f"taken-down-{{s}}").pk,
    "coming": coming.pk, "s": s,
}}))
"""


def _start(name, env, taken):
    port = _free_port(taken)
    taken.add(port)
    process = subprocess.Popen(
        [GUNICORN, "ketasite.wsgi:application", "--workers", "1", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    return Server(name, port, process)


def _wait_until_up(server, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn {server.name} exited: "
                               f"{server.process.stderr.read()[-3000:]}")
        with contextlib.suppress(OSError):
            if server.get("/robots.txt").status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn {server.name} did not answer within {timeout} s")
        time.sleep(0.1)


def _stop(servers):
    for server in servers:
        server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _delete_keys(redis_url, prefix):
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@dataclass
class Site:
    a: Server
    b: Server
    data: dict


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    redis_url = os.environ["REDIS_URL"]
    prefix = f"{os.environ.get('KETASITE_CACHE_PREFIX', 'ketasite')}-two-{secrets.token_hex(4)}"
    static_root = Path(tempfile.mkdtemp(prefix="ketasite-two-static-"))
    servers = []
    with django_db_blocker.unblock(), _suite_test_database() as database_url:
        env = _env(database_url, redis_url, prefix, static_root)
        try:
            script = SETUP.format(s=secrets.token_hex(3))
            result = subprocess.run([PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT,
                                    env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
            data = json.loads(result.stdout.strip().splitlines()[-1])
            taken = set()
            servers = [_start("A", env, taken), _start("B", env, taken)]
            for server in servers:
                _wait_until_up(server)
            yield Site(*servers, data)
        finally:
            _stop(servers)
            _delete_keys(redis_url, prefix)
            shutil.rmtree(static_root, ignore_errors=True)


def token_for(server, username):
    answer = server.request("POST", "/api/v1/auth/token/",
                            body={"username": username, "password": PASSWORD})
    assert answer.status == 200, answer.body
    return answer.json()["token"]


@pytest.fixture(scope="module")
def publisher_token(site):
    return token_for(site.a, site.data["publisher"])


def transition(server, token, pk, action):
    answer = server.request(
        "POST", f"/api/v1/editorial/articles/{pk}/transitions/",
        body={"action": action, "comment": "Done on one server."},
        headers={"Authorization": f"Token {token}"},
    )
    assert answer.status == 200, answer.body
    return time.monotonic()


def seen_within_a_second(check, since):
    """Wait until WITHIN_SECONDS after `since` (when the change was acknowledged); then
    `check()` must hold."""
    time.sleep(max(0.0, since + WITHIN_SECONDS - time.monotonic()))
    assert check(), f"not seen on the other server {WITHIN_SECONDS} s after the change"


def cached_hit(server, path):
    """GET `path` until the server answers it from the cache; return that answer."""
    for _ in range(3):
        answer = server.get(path)
        assert answer.status == 200, (path, answer.status)
        if answer.cache == "hit":
            return answer
    pytest.fail(f"{server.name} never served {path} from the cache")


# ---------------------------------------------------------------------------------------------
# The tests (the page-cache one first: no purge may be a second old when it starts)


def test_the_page_cache_is_shared(site):
    """A page rendered and cached by one server is a cache hit on the other."""
    slug = site.data["shared"]
    for first, second in ((site.a, site.b), (site.b, site.a)):
        # A query string no server has seen: its own cache key.
        path = f"/articles/{slug}/?from={first.name}-{secrets.token_hex(4)}"
        filled = first.get(path)
        assert (filled.status, filled.cache) == (200, "miss")
        served = second.get(path)
        assert (served.status, served.cache) == (200, "hit"), (
            f"{second.name} did not find the page {first.name} cached"
        )
        assert served.body == filled.body
        assert served.headers["ETag"] == filled.headers["ETag"]


def test_the_anonymous_throttle_counts_across_both_servers(site):
    """One client alternating between the servers gets ANON_LIMIT answers in all, then 429
    from either."""
    if 3600 - time.time() % 3600 < 15:  # the hourly window is about to turn over
        time.sleep(3600 - time.time() % 3600 + 0.5)
    client = fresh_address()
    answers = [
        server.get("/api/v1/articles/", client=client)
        for server in [site.a, site.b] * ANON_LIMIT
    ]
    statuses = [answer.status for answer in answers]
    assert statuses == [200] * ANON_LIMIT + [429] * ANON_LIMIT, statuses
    assert all(answer.headers.get("Retry-After") for answer in answers[ANON_LIMIT:])
    # Another client is not held back by this one's count.
    assert site.b.get("/api/v1/articles/").status == 200


def test_failed_sign_ins_on_both_servers_count_towards_one_lock_out(site):
    """Guesses spread over the servers lock the account out on both, for that client."""
    username, client = site.data["guarded"], fresh_address()

    def sign_in(server, password, address=client):
        return server.request("POST", "/api/v1/auth/token/", client=address,
                              body={"username": username, "password": password})

    servers = (site.a, site.b)
    for number in range(FAILURE_LIMIT - 1):
        assert sign_in(servers[number % 2], f"wrong-{number}").status == 400
    last = servers[(FAILURE_LIMIT - 1) % 2]
    assert sign_in(last, "wrong-last").status == 429
    # The other server saw fewer failures than the limit itself, yet refuses even the right
    # password.
    other = servers[FAILURE_LIMIT % 2]
    refused = sign_in(other, PASSWORD)
    assert refused.status == 429, refused.body
    assert refused.json()["code"] == "locked_out"
    # The lock-out is for that client: the owner signs in from elsewhere.
    assert sign_in(other, PASSWORD, address=fresh_address()).status == 200


def test_a_session_signed_in_on_one_server_works_on_the_other(site):
    a, b = site.a, site.b
    username = site.data["publisher"]
    form = a.get("/admin/login/")
    assert form.status == 200
    csrf = form.cookies["csrftoken"]
    signed_in = a.request(
        "POST", "/admin/login/?next=/admin/",
        body=f"username={username}&password={PASSWORD}&csrfmiddlewaretoken={csrf}&next=/admin/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        cookies={"csrftoken": csrf},
    )
    assert signed_in.status == 302, signed_in.body[-500:]
    cookies = {"sessionid": signed_in.cookies["sessionid"],
               "csrftoken": signed_in.cookies.get("csrftoken", csrf)}

    for server in (b, a):
        admin = server.get("/admin/", cookies=cookies)
        assert admin.status == 200, (server.name, admin.status)
        assert username.encode() in admin.body
        api = server.get("/api/v1/editorial/articles/", cookies=cookies)
        assert api.status == 200, (server.name, api.status)
    # Without the cookie B knows no one.
    assert b.get("/admin/").status == 302
    assert b.get("/api/v1/editorial/articles/").status == 401

    # Signing out on B ends the session on A too.
    signed_out = b.request("POST", "/admin/logout/", cookies=cookies,
                           headers={"X-CSRFToken": cookies["csrftoken"]})
    assert signed_out.status in (200, 302), signed_out.status
    assert a.get("/admin/", cookies=cookies).status == 302


def test_an_api_token_works_on_both_servers(site):
    a, b = site.a, site.b
    token = token_for(a, site.data["editor"])
    header = {"Authorization": f"Token {token}"}
    for server in (b, a):
        answer = server.get("/api/v1/editorial/articles/", headers=header)
        assert answer.status == 200, (server.name, answer.status)
    # Revoked on B, it stops on A at once.
    assert b.request("DELETE", "/api/v1/auth/token/", headers=header).status == 204
    assert a.get("/api/v1/editorial/articles/", headers=header).status == 401


def test_a_publish_on_one_server_is_seen_on_the_other_within_a_second(site, publisher_token):
    a, b = site.a, site.b
    slug = f"coming-{site.data['s']}"
    page, api = f"/articles/{slug}/", f"/api/v1/articles/{slug}/"
    # B has the home page and the API list cached, without the article.
    for path in ("/", "/api/v1/articles/"):
        assert slug.encode() not in cached_hit(b, path).body
    assert b.get(page).status == 404

    done = transition(a, publisher_token, site.data["coming"], "publish")

    def published_on_b():
        return (
            b.get(page).status == 200
            and b.get(api).status == 200
            and slug.encode() in b.get("/").body
            and slug.encode() in b.get("/api/v1/articles/").body
        )

    seen_within_a_second(published_on_b, done)


def test_a_take_down_on_one_server_is_seen_on_the_other_within_a_second(site, publisher_token):
    a, b = site.a, site.b
    slug = f"taken-down-{site.data['s']}"
    page, api = f"/articles/{slug}/", f"/api/v1/articles/{slug}/"
    # B serves the article, its API document and the home page from the cache.
    for path in (page, api, "/"):
        assert slug.encode() in cached_hit(b, path).body

    done = transition(a, publisher_token, site.data["taken_down"], "unpublish")

    def gone_on_b():
        return (
            b.get(page).status in (404, 410)
            and b.get(api).status in (404, 410)
            and slug.encode() not in b.get("/").body
        )

    seen_within_a_second(gone_on_b, done)
