"""The reference list shows each reference's text (authors, title, journal, year) with its
PubMed or DOI link beside it, never a bare URL where more is known.

The document below is written for this test (no seed text): a PubMed-style reference list
with the shapes imports bring: full entries with a DOI and PMID, an entry with a PubMed URL,
a bare PubMed URL and a bare web URL.
"""

import re

import pytest
from django.utils import timezone

from articles.importing import import_bytes
from articles.models import Article
from articles.publishing import freeze_publication
from evidence.models import Source
from evidence.sources import cite_source
from tests.conftest import make_article, make_blocks, publish_now

pytestmark = pytest.mark.django_db

DOCUMENT = b"""# Sleep after a ketamine infusion

How a single infusion may change sleep, and what the trials measured.

Several small trials report better sleep the night after an infusion [1, 2].
Others found no change in total sleep time (3). Clinics describe it too [4].

## References

1. Okafor N, Lindqvist M. Sleep architecture after one ketamine infusion. J Sleep Stud. \
2021;14(2):101-9. doi:10.5555/jss.2021.014. PMID: 39000001
2. Haddad R. Night-time wakefulness in treatment-resistant depression. Psychiatr Rep. \
2019. https://pubmed.ncbi.nlm.nih.gov/39000002/
3. https://pubmed.ncbi.nlm.nih.gov/39000003/
4. https://clinic.example.org/ketamine-and-sleep
"""


def reference_items(html):
    section = html.split('<ol class="reference-list">', 1)[1].split("</ol>", 1)[0]
    return re.findall(r"<li id=\"ref-\d+\".*?</li>", section, flags=re.S)


@pytest.fixture
def live_page(client):
    outcome = import_bytes(DOCUMENT, filename="sleep-after-ketamine.md")
    assert outcome.result == "created", outcome.error
    article = Article.objects.get(pk=outcome.article.pk)
    publish_now(article)
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_reference_text_is_shown_with_the_pubmed_and_doi_links_beside_it(live_page):
    first, second, third, fourth = reference_items(live_page)

    text = ("Okafor N, Lindqvist M. Sleep architecture after one ketamine infusion. "
            "J Sleep Stud. 2021;14(2):101-9.")
    assert f'<span class="ref-text">{text}</span>' in first
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/39000001/"' in first
    assert ">PubMed 39000001</a>" in first
    assert '<a href="https://doi.org/10.5555/jss.2021.014"' in first

    text = ("Haddad R. Night-time wakefulness in treatment-resistant depression. "
            "Psychiatr Rep. 2019.")
    assert f'<span class="ref-text">{text}</span>' in second
    assert ">PubMed 39000002</a>" in second
    # The PubMed URL is the PubMed link, not the reference's text.
    assert ">https://pubmed.ncbi.nlm.nih.gov/39000002" not in second


def test_a_bare_pubmed_link_shows_as_its_pubmed_link_not_as_a_url(live_page):
    third = reference_items(live_page)[2]
    assert ">PubMed 39000003</a>" in third
    assert ">https://pubmed.ncbi.nlm.nih.gov/39000003" not in third


def test_a_bare_web_link_is_shown_as_itself_when_nothing_else_is_known(live_page):
    fourth = reference_items(live_page)[3]
    assert ('<a class="ref-url" href="https://clinic.example.org/ketamine-and-sleep" '
            'rel="nofollow noopener">https://clinic.example.org/ketamine-and-sleep</a>') in fourth


def test_structured_source_fields_make_the_reference_text(client):
    source = Source.objects.create(
        authors="Moreau A, Chen L", title="Ketamine and sleep: a systematic review",
        journal="Sleep Med Rev", year=2022, doi="10.5555/smr.2022.7",
        url="https://journal.example.org/smr/7",
    )
    article = make_article(title="Sleep", blocks=make_blocks("A claim [1]."))
    cite_source(revision=article.draft, source=source)
    publish_now(article)

    item = reference_items(client.get(f"/articles/{article.slug}/").content.decode())[0]
    assert ('<span class="ref-text">Moreau A, Chen L. Ketamine and sleep: a systematic review. '
            "Sleep Med Rev. 2022.</span>") in item
    assert ">DOI 10.5555/smr.2022.7</a>" in item
    # A link that is neither PubMed nor DOI is offered beside the text, not as it.
    assert ('<a href="https://journal.example.org/smr/7" rel="nofollow noopener">Web page</a>'
            in item)

    reference = client.get(f"/api/v1/articles/{article.slug}/").json()["sources"][0]
    assert reference["authors"] == "Moreau A, Chen L"
    assert reference["text"] == (
        "Moreau A, Chen L. Ketamine and sleep: a systematic review. Sleep Med Rev. 2022."
    )


def test_a_publication_frozen_before_reference_text_still_shows_title_journal_and_year():
    source = Source.objects.create(title="An older trial", journal="Old J", year=2001,
                                   url="https://old.example.org/trial")
    article = make_article(title="Old", blocks=make_blocks("A claim [1]."))
    cite_source(revision=article.draft, source=source)
    publication = freeze_publication(article, actor=None, published_at=timezone.now(),
                                     save=False)
    for reference in publication.sources:
        del reference["text"], reference["authors"]
    from django.template.loader import render_to_string

    html = render_to_string("articles/_page_main.html", {"publication": publication})
    assert ('<a href="https://old.example.org/trial" rel="nofollow noopener">An older trial</a>'
            in html)
    assert "Old J, 2001" in html
