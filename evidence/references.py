"""Reference lists and numeric citation groups.

A reference entry becomes a plain dict (pmid, doi, url, title, citation_text); the importer
turns each into an `evidence.Source` through `get_or_create_source`, which owns the
normalisation and deduplication rules.
"""

import re

from evidence.sources import SourceError, ids_from_url, normalize_doi, normalize_pmid

REFERENCE_HEADING = re.compile(
    r"^(?:\d+\.\s*)?(?:references?|sources?|bibliography|citations?|works cited|literature"
    r"(?: cited)?|studies cited|further reading and references)\s*:?$",
    re.IGNORECASE,
)
ENTRY_NUMBER = re.compile(r"^\s*(?:\[\d{1,3}\]|\(\d{1,3}\)|\d{1,3}[.)])\s*")
ENTRY_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
ENTRY_PMID = re.compile(r"\bPMID\s*:?\s*(\d{1,9})\b", re.IGNORECASE)
ENTRY_DOI = re.compile(r"\b(?:doi\s*:?\s*)(10\.\d{4,9}(?:\.\d+)*/[^\s,;]+)", re.IGNORECASE)
# "(2,4,3,1)", "[3]", "(5-7)": numbers that point at the reference list.
CITE_GROUP = re.compile(r"[(\[](\d{1,3}(?:\s*[,–-]\s*\d{1,3}){0,30})[)\]]")
MAX_RANGE = 30


def is_reference_heading(text):
    return bool(REFERENCE_HEADING.match(text.strip()))


def _clean_url(url):
    url = url.rstrip(".,;:")
    # A closing parenthesis belongs to the URL only when it opened one.
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return url


def parse_reference(text):
    """Return a reference dict for one entry of a reference list.

    Keys: pmid, doi, url, title, citation_text. PubMed URLs give the PMID and DOI-bearing
    URLs the DOI; "PMID: 123" and "doi:10.…" in the text count too.
    """
    citation_text = " ".join(text.split())
    body = ENTRY_NUMBER.sub("", citation_text, count=1)
    url_match = ENTRY_URL.search(body)
    url = _clean_url(url_match.group(0)) if url_match else ""
    pmid, doi = ids_from_url(url) if url else ("", "")
    if not pmid:
        match = ENTRY_PMID.search(body)
        if match:
            try:
                pmid = normalize_pmid(match.group(1))
            except SourceError:
                pmid = ""
    if not doi:
        match = ENTRY_DOI.search(body)
        if match:
            try:
                doi = normalize_doi(match.group(1).rstrip(".)"))
            except SourceError:
                doi = ""
    title = ENTRY_URL.sub("", body)
    title = ENTRY_PMID.sub("", title)
    title = ENTRY_DOI.sub("", title)
    title = " ".join(title.split()).strip(" .,;:-–—()[]")
    return {
        "pmid": pmid,
        "doi": doi,
        "url": url,
        "title": title[:1000],
        "citation_text": citation_text,
    }


def _expand(group):
    numbers = []
    for part in re.split(r"\s*,\s*", group.strip()):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 1:
            numbers.append(int(bounds[0]))
            continue
        low, high = int(bounds[0]), int(bounds[-1])
        if len(bounds) != 2 or high < low or high - low > MAX_RANGE:
            return None
        numbers.extend(range(low, high + 1))
    return numbers


def find_citation_groups(text, reference_count):
    """Return [{"start", "end", "refs"}] for the citation groups in `text`.

    A group counts only when every number in it names an entry of the reference list, so
    "(2020)" or "(3 mg)" are never taken for citations.
    """
    if not reference_count or ("(" not in text and "[" not in text):
        return []
    cites = []
    for match in CITE_GROUP.finditer(text):
        refs = _expand(match.group(1))
        if refs and all(1 <= n <= reference_count for n in refs):
            cites.append({"start": match.start(), "end": match.end(), "refs": refs})
    return cites
