"""A crawler for the leak tests: it follows everything a visitor or an API client can find.

From a few entry points it follows every address in every answer: hrefs, srcs and GET forms
in HTML, every URL in JSON (pagination `next` links, W3C annotation ids), `<loc>`s and links in
the sitemap and the feed, the OpenAPI schema's paths (filled with every id and slug met in a
JSON answer), and redirects. `probe` then tries every route of the URLconf with every key it
is given (the tests give every slug, id and uuid in the database).

Every answer is checked as it arrives: no secret word in its body, no status a visitor should
never see. `route_of(path)` names the URLconf route that answered, so a test can assert that
every public route was reached.
"""

import json
import re
from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import yaml
from django.conf import settings
from django.urls import Resolver404, URLResolver, get_resolver, resolve

# Routes that are not the public site, and why the crawl need not reach them. Every other
# route of the URLconf is public, and a crawl of the site must reach it.
NOT_PUBLIC = {
    "admin/": "the staff admin (its own permission tests)",
    "accounts/": "staff password reset",
    "api/v1/auth/": "API token sign-in",
    "api/v1/editorial/": "the editorial API (authenticated)",
    "preview/": "the editorial team's preview of a draft",
    "shared/": "a share link: reached only with its secret token",
}
# What a visitor may be answered. A 5xx or a 403 (a page that exists but is refused) is not.
VISITOR_STATUSES = {200, 301, 302, 304, 400, 404, 406, 410}
# JSON fields that hold an identifier of something the API may serve.
IDENTIFIER_FIELDS = {"id", "pk", "slug", "uuid", "article"}
SLUG_LIKE = re.compile(r"^[-\w]{1,120}$")
PARAMETER = re.compile(r"<(?:\w+:)?\w+>")
SCHEMA_PARAMETER = re.compile(r"\{\w+\}")
# libyaml's loader when there is one: the schema is large, and pure-Python YAML slow.
SchemaLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Where the test client's answers come from.
SITE = "http://testserver"


def url_routes(resolver=None, prefix=""):
    """Yield the route of every URL pattern of the URLconf, as `ResolverMatch.route` names it."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from url_routes(entry, route)
        else:
            yield route


def is_public(route):
    return not route.startswith(tuple(NOT_PUBLIC))


def public_routes():
    """Every public route the URLconf declares."""
    return sorted({route for route in url_routes() if is_public(route)})


def route_of(path):
    """The URLconf route that answers `path` (None when nothing does)."""
    try:
        return resolve(urlsplit(path).path).route
    except Resolver404:
        return None


def fill(route, key):
    """The path of URLconf `route` with every parameter set to `key`, or None when the
    route's converters refuse the key."""
    path = "/" + PARAMETER.sub(str(key), route)
    return path if route_of(path) == route else None


@dataclass
class Visit:
    path: str
    accept: str
    status: int
    route: str | None


class LinkParser(HTMLParser):
    """Collect the addresses of a page and its GET forms."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.forms = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if value and (name in ("href", "src") or value.startswith(("/", "http"))):
                self.links.append(value)
        if tag == "form" and (values.get("method") or "get").lower() == "get":
            self.forms.append({"action": values.get("action") or "", "fields": []})
        elif tag in ("input", "select", "textarea") and self.forms and values.get("name"):
            self.forms[-1]["fields"].append(
                (values["name"], (values.get("type") or "text").lower(), values.get("value") or "")
            )


class Crawler:
    """Fetch pages as one visitor, checking each answer; `crawl` follows, `probe` guesses."""

    def __init__(self, client, *, secrets, form_words):
        self.client = client
        self.secrets = {word.lower() for word in secrets}
        self.form_words = list(form_words)
        self.visits = {}
        self.leaks = []
        self.refusals = []
        self.bodies = []
        self.keys = set()
        self.templates = {}
        self.media_types = {}
        self.queue = deque()

    # Fetching and checking ---------------------------------------------------------------

    def fetch(self, path, accept=""):
        """GET `path` (once per representation), check the answer, return it or None."""
        if (path, accept) in self.visits:
            return None
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = self.client.get(path, **headers)
        route = route_of(path)
        self.visits[(path, accept)] = Visit(path, accept, response.status_code, route)
        where = f"{path} ({accept or 'default'})"
        if response.status_code not in VISITOR_STATUSES:
            self.refusals.append((where, response.status_code))
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", "replace").lower()
        # A search page or a `next` link repeats the query, a 404 page may name the slug
        # asked for: what the visitor typed is not a leak.
        parts = urlsplit(path)
        typed = [value for _, value in parse_qsl(parts.query)] + parts.path.split("/")
        for value in sorted(filter(None, typed), key=len, reverse=True):
            text = text.replace(value.lower(), "")
        leaked = sorted(word for word in self.secrets if word in text)
        if leaked:
            self.leaks.append((where, response.status_code, leaked))
        self.bodies.append(text)
        return response

    def hits(self):
        """The routes that answered 2xx or 3xx at least once."""
        return {
            v.route for v in self.visits.values()
            if v.route is not None and 200 <= v.status < 400
        }

    def ok_paths(self):
        return {urlsplit(v.path).path for v in self.visits.values() if v.status == 200}

    # Following ---------------------------------------------------------------------------

    def crawl(self, entry_points, *, limit):
        """Follow every address and fill every schema path with every key, until nothing is
        new (or `limit` answers: then the crawl did not finish, and the test says so)."""
        self.queue.extend((path, "") for path in entry_points)
        while len(self.visits) < limit:
            if not self.queue:
                self.queue.extend(self._filled_templates())
                if not self.queue:
                    return True
            path, accept = self.queue.popleft()
            response = self.fetch(path, accept)
            if response is None:
                continue
            if not accept and response.status_code == 200:
                route = route_of(path)
                self.queue.extend((path, media) for media in self.media_types.get(route, ()))
            if response.status_code < 400:
                for link in self._discover(path, response):
                    target = local_path(link)
                    if target is not None and (target, "") not in self.visits:
                        self.queue.append((target, ""))
        return False

    def _filled_templates(self):
        found = []
        for template, numeric in sorted(self.templates.items()):
            for key in sorted(self.keys):
                if key.isdigit() != numeric:
                    continue
                path = local_path(urljoin(SITE, SCHEMA_PARAMETER.sub(key, template)))
                if path and route_of(path) and (path, "") not in self.visits:
                    found.append((path, ""))
        return found

    def _discover(self, path, response):
        """Return the addresses in `response`; note its keys and schema paths."""
        kind = response.get("Content-Type", "")
        if 300 <= response.status_code < 400:
            return [urljoin(SITE + path, response["Location"])]
        body = (b"".join(response) if response.streaming else response.content).decode(
            "utf-8", "replace"
        )
        found = []
        if "openapi" in kind:
            found += self._read_schema(yaml.load(body, Loader=SchemaLoader))  # noqa: S506 (safe)
        elif "json" in kind:
            found += self._read_json(json.loads(body))
        elif "html" in kind:
            parser = LinkParser()
            parser.feed(body)
            found += parser.links
            for form in parser.forms:
                found += self._form_urls(path, form)
        elif "xml" in kind:
            found += re.findall(r"<loc>([^<]+)</loc>", body)
            found += re.findall(r'<link[^>]*href="([^"]+)"', body)
            found += re.findall(r"<id>([^<]+)</id>", body)
        else:
            found += re.findall(r"https?://[^\s\"'<>]+", body)
            found += re.findall(r"[\"'](/[^\s\"'<>]*)[\"']", body)
        base = SITE + path
        return [urljoin(base, link.replace("&amp;", "&")) for link in found]

    def _read_json(self, value, field=""):
        found = []
        if isinstance(value, dict):
            for name, item in value.items():
                found += self._read_json(item, name)
        elif isinstance(value, list):
            for item in value:
                found += self._read_json(item, field)
        elif isinstance(value, bool) or value is None:
            pass
        elif isinstance(value, str) and value.startswith(("http://", "https://", "/")):
            found.append(value)
        elif field in IDENTIFIER_FIELDS and SLUG_LIKE.match(str(value)):
            self.keys.add(str(value))
        return found

    def _read_schema(self, schema):
        """Follow the schema's fixed GET paths; keep its parameterised ones (and the other
        representations each answers in) for the keys the crawl finds."""
        found = []
        for template, operations in (schema.get("paths") or {}).items():
            operation = operations.get("get")
            if operation is None:
                continue
            content = (operation.get("responses", {}).get("200") or {}).get("content") or {}
            others = [media for media in content if media != "application/json"]
            if SCHEMA_PARAMETER.search(template):
                types = {
                    (parameter.get("schema") or {}).get("type")
                    for parameter in operation.get("parameters", ())
                    if parameter.get("in") == "path"
                }
                # An integer parameter takes the ids found, a string one the slugs and uuids.
                self.templates[template] = types == {"integer"}
                route = route_of(SCHEMA_PARAMETER.sub("1", template))
            else:
                found.append(template)
                route = route_of(template)
            if route and others:
                self.media_types[route] = others
        return found

    def _form_urls(self, path, form):
        action = urljoin(SITE + path, form["action"])
        fixed = [(name, value) for name, kind, value in form["fields"]
                 if kind not in ("text", "search", "submit")]
        typed = [name for name, kind, _ in form["fields"] if kind in ("text", "search")]
        return [
            f"{action.split('?')[0]}?{urlencode(fixed + [(name, word) for name in typed])}"
            for word in self.form_words
        ]

    # Guessing ----------------------------------------------------------------------------

    def probe(self, routes, keys, *, representations=True):
        """Try each URLconf route that has a parameter with each key; with `representations`,
        also in every other representation the schema names for it (by `Accept`, and by
        `?format=jsonld`, which DRF answers without the stored documents)."""
        for route in routes:
            if not PARAMETER.search(route):
                continue
            others = self.media_types.get(route, ()) if representations else ()
            for key in sorted(keys):
                path = fill(route, key)
                if path is None:
                    continue
                self.fetch(path)
                for media_type in others:
                    self.fetch(path, media_type)
                if "application/ld+json" in others:
                    self.fetch(path + "?format=jsonld")


def local_path(url):
    """The site path of `url`, or None for another site, a static file or a route that is
    not the public site's."""
    parts = urlsplit(url)
    if parts.netloc not in ("testserver", urlsplit(settings.SITE_URL).netloc):
        return None
    if parts.path.startswith("/static/") or not is_public(parts.path.lstrip("/")):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
