import pytest

from evidence.models import Citation, Source
from evidence.sources import (
    SourceError,
    cite_source,
    copy_citations,
    find_duplicate,
    get_or_create_source,
    ids_from_url,
    normalize_doi,
    normalize_pmid,
    normalize_url,
)
from tests.conftest import make_article

DOI = "10.1007/s00787-020-01234-5"


@pytest.mark.parametrize(
    "spelling",
    [
        "10.1007/S00787-020-01234-5",
        "https://doi.org/10.1007/s00787-020-01234-5",
        "doi:10.1007/s00787-020-01234-5",
        "DOI: 10.1007/s00787-020-01234-5",
        "https://dx.doi.org/10.1007/s00787-020-01234-5",
        "http://doi.org/10.1007%2Fs00787-020-01234-5",
    ],
)
def test_doi_spellings_normalise_to_one_doi(spelling):
    assert normalize_doi(spelling) == DOI


@pytest.mark.parametrize("value", ["10.12/short", "hello", "https://example.org/x", "11.1234/x"])
def test_invalid_doi_is_refused_with_a_readable_message(value):
    with pytest.raises(SourceError, match="not a DOI"):
        normalize_doi(value)


@pytest.mark.parametrize(
    "spelling",
    [
        "12345678",
        "PMID: 12345678",
        "pmid:12345678",
        "https://pubmed.ncbi.nlm.nih.gov/12345678/",
        "ncbi.nlm.nih.gov/pubmed/12345678",
        "https://www.ncbi.nlm.nih.gov/pubmed/12345678",
    ],
)
def test_pmid_spellings_normalise_to_digits(spelling):
    assert normalize_pmid(spelling) == "12345678"


@pytest.mark.parametrize("value", ["PMC1234567", "12a4", "0", "1234567890123"])
def test_invalid_pmid_is_refused(value):
    with pytest.raises(SourceError):
        normalize_pmid(value)


def test_pmc_article_url_is_not_a_pmid():
    assert ids_from_url("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1234567/") == ("", "")


@pytest.mark.parametrize(
    ("url", "doi"),
    [
        ("https://www.liebertpub.com/doi/abs/10.1089/cap.2023.0047", "10.1089/cap.2023.0047"),
        ("https://link.springer.com/article/10.1007/s00787-020-01234-5", DOI),
        ("https://doi.org/10.1007/S00787-020-01234-5", DOI),
        ("https://www.frontiersin.org/articles/10.3389/fpsyt.2021.12345/full",
         "10.3389/fpsyt.2021.12345"),
        ("https://onlinelibrary.wiley.com/doi/epdf/10.1111/acps.13000", "10.1111/acps.13000"),
    ],
)
def test_doi_bearing_urls_yield_their_doi(url, doi):
    assert ids_from_url(url) == ("", doi)


def test_pubmed_url_yields_its_pmid():
    assert ids_from_url("https://pubmed.ncbi.nlm.nih.gov/37340091/") == ("37340091", "")


def test_normalize_url_drops_tracking_fragment_default_port_and_trailing_slash():
    assert (
        normalize_url("HTTPS://Example.COM:443/Study/?utm_source=news&id=3&fbclid=abc#results")
        == "https://example.com/Study?id=3"
    )


def test_normalize_url_keeps_a_non_default_port():
    assert normalize_url("http://example.com:8080/a/") == "http://example.com:8080/a"


@pytest.mark.parametrize("value", ["javascript:alert(1)", "ftp://example.org/a", "not a url"])
def test_non_web_urls_are_refused(value):
    with pytest.raises(SourceError):
        normalize_url(value)


def test_same_doi_spelled_two_ways_gives_one_source(db):
    first, created_first = get_or_create_source(doi="10.1007/S00787-020-01234-5", title="A")
    second, created_second = get_or_create_source(doi=f"https://doi.org/{DOI}", title="B")
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Source.objects.count() == 1
    assert second.title == "A"


def test_doi_url_and_doi_field_are_the_same_source(db):
    by_url, _ = get_or_create_source(url=f"https://link.springer.com/article/{DOI}")
    by_doi, created = get_or_create_source(doi=DOI)
    assert not created
    assert by_url.pk == by_doi.pk
    assert by_url.doi == DOI


def test_url_with_tracking_parameters_is_the_same_source(db):
    first, _ = get_or_create_source(url="https://example.org/study/", title="Study")
    second, created = get_or_create_source(url="https://EXAMPLE.org/study?utm_medium=x#top")
    assert not created
    assert first.pk == second.pk


def test_later_citation_fills_empty_fields_but_keeps_existing_ones(db):
    source, _ = get_or_create_source(pmid="123", title="Original title")
    again, _ = get_or_create_source(pmid="PMID: 123", title="Other title", journal="JAMA")
    again.refresh_from_db()
    assert again.pk == source.pk
    assert again.title == "Original title"
    assert again.journal == "JAMA"


def test_source_without_any_identifier_or_title_is_refused(db):
    with pytest.raises(SourceError, match="needs a PMID"):
        get_or_create_source()
    assert Source.objects.count() == 0


def test_find_duplicate_matches_by_pmid_from_pubmed_url(db):
    source, _ = get_or_create_source(pmid="37340091")
    assert find_duplicate(url="https://pubmed.ncbi.nlm.nih.gov/37340091/") == source
    assert find_duplicate(pmid="999") is None


def test_cite_source_numbers_citations_in_order_and_keeps_a_repeat(db):
    article = make_article()
    first, _ = get_or_create_source(pmid="1")
    second, _ = get_or_create_source(pmid="2")
    assert cite_source(revision=article.draft, source=first, actor=None).number == 1
    assert cite_source(revision=article.draft, source=second, actor=None).number == 2
    assert cite_source(revision=article.draft, source=first, actor=None).number == 1
    assert Citation.objects.filter(revision=article.draft).count() == 2


def test_copy_citations_carries_numbers_to_the_new_revision(db):
    article = make_article()
    old = article.draft
    for pmid in ("1", "2"):
        cite_source(revision=old, source=get_or_create_source(pmid=pmid)[0])
    new = old.__class__.objects.create(
        article=article, number=2, title=old.title, blocks=old.blocks, parent=old
    )
    copy_citations(old_revision=old, new_revision=new)
    assert [(c.number, c.source.pmid) for c in new.citations.all()] == [(1, "1"), (2, "2")]
