"""Sources: normalising identifiers, deduplicating cited works, and citing them.

A source is the same work when it has the same PMID, the same DOI, or the same normalised URL.
`get_or_create_source` is the one way code creates a source, so duplicates cannot appear; the
database backs this with conditional unique constraints on pmid, doi and url_key.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from articles.models import Revision
from evidence.models import Citation, Source


class SourceError(ValueError):
    """An identifier or URL that cannot be a source's. The message says what is wrong.

    `errors` maps each invalid field (pmid, doi, url) to its message, when the error is
    about identifiers; it is empty for a problem with the source as a whole.
    """

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        self.errors = errors or {}
        super().__init__(message)


@dataclass(frozen=True)
class SourceIdentifiers:
    """A work's identifiers in their one normal form ("" where absent). `url` is also the
    deduplication key (`Source.url_key`)."""

    pmid: str
    doi: str
    url: str


# A DOI is "10.", a registrant code of digits (possibly dotted), "/", and a suffix.
DOI_PATTERN = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
DOI_SEARCH = re.compile(r"10\.\d{4,9}(?:\.\d+)*/[^\s?#]+")
DOI_PREFIXES = re.compile(
    r"^(?:doi\s*:\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/|info:doi/)", re.IGNORECASE
)
# What publisher URLs append after the DOI: a view name or a file extension, never the DOI.
DOI_URL_TAILS = re.compile(
    r"(?:/(?:full|abstract|abs|pdf|epdf|fulltext|html|meta|summary|references|figures|"
    r"supplemental|tables?)(?:/.*)?|\.pdf|\.html?)$",
    re.IGNORECASE,
)
DOI_PATH_MARKERS = ("/doi/", "/article/", "/articles/", "/content/")
PMID_MAX_DIGITS = 9
PMID_PREFIX = re.compile(r"^pmid\s*:?\s*", re.IGNORECASE)
PUBMED_PATH = re.compile(r"^/(?:pubmed/)?(\d{1,9})/?$")
PUBMED_HOSTS = ("pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov", "www.ncbi.nlm.nih.gov")
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
    "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
    "oly_enc_id", "vero_id", "rb_clickid", "s_cid", "wickedid", "ref_src", "spm",
}
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000
IDENTIFIER_FIELDS = ("pmid", "doi", "url")
DESCRIPTIVE_FIELDS = ("title", "authors", "journal", "year", "design", "citation_text")


def normalize_pmid(value: Any) -> str:
    """Return a PubMed id as digits only ("" for blank input).

    Accepts `123`, `PMID: 123`, and PubMed URLs (`https://pubmed.ncbi.nlm.nih.gov/123/`,
    `ncbi.nlm.nih.gov/pubmed/123`). Raises SourceError for anything else, including PMC ids,
    which name a different database.
    """
    text = str(value or "").strip()
    if not text:
        return ""
    if text.upper().startswith("PMC"):
        raise SourceError(f"{text!r} is a PubMed Central id (PMC…), not a PMID.")
    if "/" in text:
        pmid = _pmid_from_url(text if "://" in text else f"https://{text}")
        if not pmid:
            raise SourceError(f"{text!r} is not a PubMed article URL.")
        return pmid
    digits = PMID_PREFIX.sub("", text).strip()
    if not digits.isascii() or not digits.isdigit():
        raise SourceError(f"{text!r} is not a PMID: a PMID is digits only, like 12345678.")
    digits = digits.lstrip("0")
    if not digits or len(digits) > PMID_MAX_DIGITS:
        raise SourceError(f"{text!r} is not a PMID: a PMID is 1 to 9 digits, not zero.")
    return digits


def normalize_doi(value: Any) -> str:
    """Return a DOI in lower case without any resolver prefix ("" for blank input).

    `10.1007/S00787-…`, `doi:10.1007/s00787-…`, `https://doi.org/10.1007/s00787-…`,
    `https://dx.doi.org/…` and URL-encoded forms all give the same DOI. Raises SourceError when
    the value is not a DOI.
    """
    text = str(value or "").strip()
    if not text:
        return ""
    decoded = unquote(text).strip()
    doi = DOI_PREFIXES.sub("", decoded).strip()
    doi = doi.rstrip(".,;")
    if not DOI_PATTERN.match(doi) or len(doi) > 255:
        raise SourceError(f"{text!r} is not a DOI: a DOI looks like 10.1000/xyz123.")
    return doi.lower()


def normalize_url(value: Any) -> str:
    """Return the canonical form of a web address ("" for blank input).

    Lower-cases the scheme and host, drops the fragment, tracking parameters (utm_*, fbclid…),
    a default port and a trailing slash. Raises SourceError unless it is an http(s) address.
    """
    text = str(value or "").strip()
    if not text:
        return ""
    if len(text) > MAX_URL_LENGTH:
        raise SourceError(f"A URL must be at most {MAX_URL_LENGTH} characters.")
    if "://" not in text and re.match(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:[/?]|$)", text):
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SourceError(f"{text!r} is not a valid URL.")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host or any(c.isspace() for c in text):
        raise SourceError(f"{text!r} is not a web address (http:// or https://).")
    netloc = host
    if ":" in host:  # an IPv6 literal keeps its brackets
        netloc = f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path or ""
    if path.endswith("/"):
        path = path.rstrip("/")
    query = urlencode(
        [
            (key, val)
            for key, val in parse_qsl(parts.query, keep_blank_values=True)
            if key.lower() not in TRACKING_PARAMS
            and not key.lower().startswith(TRACKING_PREFIXES)
        ],
        doseq=True,
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def _pmid_from_url(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if host not in PUBMED_HOSTS:
        return ""
    path = parts.path
    if host != "pubmed.ncbi.nlm.nih.gov" and not path.startswith("/pubmed/"):
        return ""
    match = PUBMED_PATH.match(path)
    if not match:
        return ""
    return match.group(1).lstrip("0")


def _doi_from_url(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    if host.endswith("doi.org"):
        candidate = path.lstrip("/")
    else:
        marker_at = [path.find(marker) for marker in DOI_PATH_MARKERS if marker in path]
        if not marker_at:
            return ""
        match = DOI_SEARCH.search(path, min(marker_at))
        if not match:
            return ""
        candidate = match.group(0)
    candidate = DOI_URL_TAILS.sub("", candidate.rstrip("/"))
    try:
        return normalize_doi(candidate)
    except SourceError:
        return ""


def ids_from_url(url: Any) -> tuple[str, str]:
    """Return (pmid, doi) found in a URL; each is "" when the URL does not carry it.

    PubMed article URLs give a PMID; doi.org links and publisher paths such as `/doi/10.…`,
    `/article/10.…` (link.springer.com) give a DOI.
    """
    text = str(url or "").strip()
    if not text:
        return "", ""
    if "://" not in text:
        text = f"https://{text}"
    return _pmid_from_url(text), _doi_from_url(text)


def normalize_identifiers(*, pmid: Any = "", doi: Any = "", url: Any = "") -> SourceIdentifiers:
    """Return a work's identifiers normalised, a PMID or DOI missing taken from the URL.

    The one place identifiers are normalised: the API, the admin form, the importer and
    `get_or_create_source` all call it. Raises SourceError whose `errors` names every
    invalid field at once.
    """
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, normalize, raw in (("pmid", normalize_pmid, pmid), ("doi", normalize_doi, doi),
                                 ("url", normalize_url, url)):
        try:
            values[name] = normalize(raw)
        except SourceError as error:
            errors[name] = [str(error)]
            values[name] = ""
    if errors:
        raise SourceError(
            " ".join(message for messages in errors.values() for message in messages), errors
        )
    if values["url"]:
        url_pmid, url_doi = ids_from_url(values["url"])
        values["pmid"] = values["pmid"] or url_pmid
        values["doi"] = values["doi"] or url_doi
    return SourceIdentifiers(**values)


def find_duplicate(
    *, pmid: Any = "", doi: Any = "", url: Any = "", exclude_pk: int | None = None,
) -> Source | None:
    """Return the existing source with the same PMID, DOI or normalised URL, else None.

    Identifiers are normalised first (a DOI-bearing URL also matches by its DOI); invalid ones
    raise SourceError. PMID wins over DOI, DOI over URL.
    """
    ids = normalize_identifiers(pmid=pmid, doi=doi, url=url)
    return _find_by_keys(pmid=ids.pmid, doi=ids.doi, url_key=ids.url, exclude_pk=exclude_pk)


def _find_by_keys(*, pmid, doi, url_key, exclude_pk=None):
    condition = Q(pk__in=[])
    if pmid:
        condition |= Q(pmid=pmid)
    if doi:
        condition |= Q(doi=doi)
    if url_key:
        condition |= Q(url_key=url_key)
    queryset = Source.objects.filter(condition)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    matches = list(queryset[:3])

    def rank(source):
        return (
            0 if pmid and source.pmid == pmid else 1,
            0 if doi and source.doi == doi else 1,
            source.pk,
        )

    return min(matches, key=rank) if matches else None


def _fill_blanks(source, *, pmid, doi, url, url_key, fields):
    """Fill the existing source's empty fields from a later citation of the same work."""
    changed = []
    for name, value in (("pmid", pmid), ("doi", doi), ("url_key", url_key)):
        if value and not getattr(source, name):
            taken = Source.objects.filter(**{name: value}).exclude(pk=source.pk).exists()
            if not taken:
                setattr(source, name, value)
                changed.append(name)
    if "url_key" in changed:
        source.url = url
        changed.append("url")
    for name, value in fields.items():
        if value not in ("", None) and not getattr(source, name):
            setattr(source, name, value)
            changed.append(name)
    if changed:
        source.save(update_fields=[*changed, "updated_at"])


def get_or_create_source(
    *, pmid: Any = "", doi: Any = "", url: Any = "", title: Any = "", **fields: Any,
) -> tuple[Source, bool]:
    """Return (source, created) for the cited work, creating it only if it is new.

    The work is matched by PMID, DOI or normalised URL (a PubMed or DOI URL also matches by
    its id). An existing source keeps its data; its empty fields are filled from this call.
    `fields` may hold authors, journal, year, design and citation_text. Raises SourceError for
    an invalid identifier or when nothing identifies the work.
    """
    unknown = set(fields) - set(DESCRIPTIVE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected source fields: {', '.join(sorted(unknown))}")
    ids = normalize_identifiers(pmid=pmid, doi=doi, url=url)
    pmid, doi, url, url_key = ids.pmid, ids.doi, ids.url, ids.url
    design = fields.get("design", "")
    if design and design not in Source.Design.values:
        raise SourceError(f"{design!r} is not a study design.")
    year = fields.get("year")
    if year not in (None, ""):
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise SourceError(f"{year!r} is not a year.")
        if not 1000 <= year <= 2999:
            raise SourceError(f"{year!r} is not a plausible publication year.")
        fields["year"] = year
    else:
        fields.pop("year", None)
    title = str(title or "").strip()[:1000]
    descriptive = {"title": title, **fields}
    for name in ("authors", "journal", "citation_text"):
        if name in descriptive:
            descriptive[name] = str(descriptive[name] or "").strip()
    descriptive["authors"] = descriptive.get("authors", "")[:1000]
    descriptive["journal"] = descriptive.get("journal", "")[:300]
    if not (pmid or doi or url_key or title or descriptive.get("citation_text")):
        raise SourceError("A source needs a PMID, a DOI, a URL or at least a title.")

    existing = _find_by_keys(pmid=pmid, doi=doi, url_key=url_key)
    if existing is None:
        try:
            with transaction.atomic():
                source = Source.objects.create(
                    pmid=pmid, doi=doi, url=url, url_key=url_key, **descriptive
                )
            return source, True
        except IntegrityError:
            # Someone created the same work between the lookup and the insert.
            existing = _find_by_keys(pmid=pmid, doi=doi, url_key=url_key)
            if existing is None:
                raise
    _fill_blanks(existing, pmid=pmid, doi=doi, url=url, url_key=url_key, fields=descriptive)
    return existing, False


def cite_source(*, revision: Revision, source: Source, actor: Any = None) -> Citation:
    """Add `source` to the revision's numbered references and return the Citation.

    A source the revision already cites keeps its number; a new one gets the next number.
    """
    existing = Citation.objects.filter(revision=revision, source=source).first()
    if existing is not None:
        return existing
    for _attempt in range(3):
        number = (
            Citation.objects.filter(revision=revision).aggregate(top=Max("number"))["top"] or 0
        ) + 1
        try:
            with transaction.atomic():
                return Citation.objects.create(revision=revision, source=source, number=number)
        except IntegrityError:
            continue  # a parallel citation took that number; take the next one
    raise SourceError("Could not number the citation; please try again.")


def copy_citations(*, old_revision: Revision, new_revision: Revision) -> list[Citation]:
    """Give `new_revision` the same numbered references as `old_revision`.

    Numbers the new revision already uses are left alone. Returns the citations created.
    """
    taken = set(Citation.objects.filter(revision=new_revision).values_list("number", flat=True))
    copies = [
        Citation(revision=new_revision, source_id=citation.source_id, number=citation.number)
        for citation in Citation.objects.filter(revision=old_revision).order_by("number")
        if citation.number not in taken
    ]
    return Citation.objects.bulk_create(copies)
