"""Render an article's blocks, with its rated passages marked, into the public body HTML.

Runs once, at publish (`articles.publishing.freeze_publication`); the result is stored in
`Publication.body_html` and served as-is, so a page costs no rendering however many
annotations it has. Every piece of text is escaped here; the only markup taken as given is an
annotation's `note_html`, which is sanitised again on the way in.
"""

import json
import re
from html import escape as _escape

from articles.blocks import block_text, flatten_items
from articles.claimreview import claim_item, review_rating, reviewer_person, site_organisation
from evidence.summary import CERTAINTY_LABELS, VERDICT_LABELS
from ketasite.sanitize import clean_html

# A symbol for each verdict so that a rating never relies on colour alone.
VERDICT_ICONS = {
    "supported": "✓",
    "mixed": "◐",
    "unsupported": "?",
    "misleading": "!",
    "contradicted": "✗",
    "": "○",
}
# GRADE's own notation: four circles, filled for each level of certainty.
CERTAINTY_ICONS = {
    "high": "⊕⊕⊕⊕",
    "moderate": "⊕⊕⊕◯",
    "low": "⊕⊕◯◯",
    "very_low": "⊕◯◯◯",
    "": "◯◯◯◯",
}
_NUMBER = re.compile(r"\d+")


def esc(text):
    """Escape text for HTML content and attribute values."""
    return _escape(str(text), quote=True)


def verdict_label(verdict):
    return VERDICT_LABELS.get(verdict or "", "Not rated")


def certainty_label(certainty):
    if not certainty:
        return "Certainty not rated"
    return f"{CERTAINTY_LABELS.get(certainty, certainty)} certainty"


def clean_note_html(note_html):
    """Sanitise a note once more: notes are sanitised on save, this is defence in depth."""
    return clean_html(note_html or "")


def _cite_spans(block, length):
    """Return the block's citation groups as sorted, non-overlapping (start, end, refs)."""
    spans = []
    for cite in block.get("cites") or ():
        try:
            start, end = int(cite["start"]), int(cite["end"])
            refs = [int(ref) for ref in cite.get("refs") or ()]
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= length:
            spans.append((start, end, refs))
    spans.sort()
    kept = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


class _BlockRenderer:
    """Render pieces of one block's text, with the annotations and citations inside it."""

    def __init__(self, block, annotations, reference_numbers):
        self.text = block_text(block)
        self.annotations = annotations
        self.reference_numbers = reference_numbers
        self.cites = _cite_spans(block, len(self.text))
        self.anchored = set()

    def _boundaries(self, lo, hi):
        points = {lo, hi}
        inside_cite = []
        for start, end, _ in self.cites:
            points.update((start, end))
            inside_cite.append((start, end))
        for annotation in self.annotations:
            points.update((annotation["start"], annotation["end"]))
        # A citation group is one unit: no boundary falls inside it.
        return sorted(
            p for p in points
            if lo <= p <= hi and not any(s < p < e for s, e in inside_cite)
        )

    def _covering(self, start, end):
        return [a for a in self.annotations if a["start"] <= start and end <= a["end"]]

    def _cite_html(self, start, end, refs):
        segment = self.text[start:end]
        wanted = set(refs)
        out = []
        position = 0
        for match in _NUMBER.finditer(segment):
            out.append(esc(segment[position:match.start()]))
            number = int(match.group())
            if number in wanted and number in self.reference_numbers:
                out.append(
                    f'<a href="#ref-{number}" class="cite-ref" '
                    f'aria-label="Reference {number}">{number}</a>'
                )
            else:
                out.append(esc(match.group()))
            position = match.end()
        out.append(esc(segment[position:]))
        return f'<span class="cites">{"".join(out)}</span>'

    def render(self, lo, hi):
        """Return the HTML of text[lo:hi], annotations and citations marked."""
        points = self._boundaries(lo, hi)
        cite_at = {start: (end, refs) for start, end, refs in self.cites}
        out = []
        for start, end in zip(points, points[1:], strict=False):
            if start >= end:
                continue
            cite = cite_at.get(start)
            if cite and cite[0] == end:
                inner = self._cite_html(start, end, cite[1])
            else:
                inner = esc(self.text[start:end])
            covering = self._covering(start, end)
            if not covering:
                out.append(inner)
                continue
            # The innermost (shortest) annotation owns the segment's link.
            owner = min(covering, key=lambda a: (a["end"] - a["start"], a["id"]))
            classes = f"claim verdict-{owner.get('verdict') or 'unrated'}"
            if len(covering) > 1:
                classes += " claim-overlap"
            if cite and cite[0] == end:
                # Links must not nest: a citation group inside a claim is marked, not linked.
                out.append(f'<mark class="{classes}">{inner}</mark>')
                continue
            anchor = ""
            if owner["id"] not in self.anchored:
                self.anchored.add(owner["id"])
                anchor = f' id="claim-{owner["id"]}"'
            label = (
                f'<span class="visually-hidden"> (claim: {esc(verdict_label(owner.get("verdict")))}'
                f", {esc(certainty_label(owner.get('certainty')).lower())}; see note)</span>"
            )
            out.append(
                f'<a href="#note-{owner["id"]}"{anchor} class="{classes}" '
                f'data-note="note-{owner["id"]}">'
                f"<mark>{inner}</mark>{label}</a>"
            )
        return "".join(out)


def _note_html(annotation, references_by_id, history_base=""):
    verdict = annotation.get("verdict") or ""
    certainty = annotation.get("certainty") or ""
    note_id = f"note-{annotation['id']}"
    sources = []
    for source_id in annotation.get("sources") or ():
        reference = references_by_id.get(source_id)
        if reference is None:
            continue
        title = (
            reference.get("title") or reference.get("text")
            or (f"PubMed {reference['pmid']}" if reference.get("pmid") else "")
            or reference.get("doi") or reference.get("url") or ""
        )
        sources.append(
            f'<li><a href="#ref-{reference["number"]}">[{reference["number"]}]</a> '
            f"{esc(title)}</li>"
        )
    sources_html = (
        f'<ul class="note-sources" aria-label="Sources">{"".join(sources)}</ul>' if sources else ""
    )
    body = clean_note_html(annotation.get("note_html"))
    history = (
        f' · <a class="note-history" href="{esc(history_base)}{int(annotation["id"])}/">'
        "Rating history</a>"
        if history_base and verdict and certainty else ""
    )
    body_html = f'<div class="note-body">{body}</div>' if body.strip() else ""
    claim = annotation.get("claim")
    if claim and str(claim.get("url", "")).startswith("/"):
        body_html += (
            f'<p class="note-claim">The claim: <a href="{esc(claim["url"])}">'
            f'{esc(claim.get("statement", ""))}</a></p>'
        )
    return (
        f'<div class="note verdict-{verdict or "unrated"}" id="{note_id}" tabindex="-1" '
        f'role="note">'
        f'<p class="note-rating" id="{note_id}-rating">'
        f'<span class="verdict"><span class="icon" aria-hidden="true">'
        f"{VERDICT_ICONS.get(verdict, '○')}</span> {esc(verdict_label(verdict))}</span> "
        f'<span class="certainty"><span class="icon" aria-hidden="true">'
        f"{CERTAINTY_ICONS.get(certainty, '◯◯◯◯')}</span> "
        f"{esc(certainty_label(certainty))}</span></p>"
        f'<blockquote class="note-quote"><p>{esc(annotation.get("exact", ""))}</p></blockquote>'
        f"{body_html}{sources_html}"
        f'<p class="note-back"><a href="#claim-{annotation["id"]}">Back to the text</a>'
        f"{history}</p>"
        f"</div>"
    )


def _list_html(block, renderer):
    tag = "ol" if block.get("ordered") else "ul"
    offset = 0
    lines = list(flatten_items(block.get("items")))
    positions = []
    for depth, text in lines:
        positions.append((depth, offset, offset + len(text)))
        offset += len(text) + 1

    out = [f"<{tag}>"]
    # One entry per open list, innermost last: whether its last <li> is still open.
    open_items = [False]

    def close_list():
        if open_items.pop():
            out.append("</li>")
        out.append(f"</{tag}>")

    for depth, start, end in positions:
        while len(open_items) - 1 < depth:
            out.append(f"<{tag}>")
            open_items.append(False)
        while len(open_items) - 1 > depth:
            close_list()
        if open_items[-1]:
            out.append("</li>")
        out.append(f"<li>{renderer.render(start, end)}")
        open_items[-1] = True
    while open_items:
        close_list()
    return "".join(out)


def _block_html(block, renderer):
    kind = block.get("type")
    block_id = esc(block.get("id", ""))
    text = renderer.text
    if kind == "heading":
        level = block.get("level", 2)
        # The page title is the h1; the article's own headings start at h2.
        level = min(max(int(level) if isinstance(level, int) else 2, 2), 6)
        return f'<h{level} id="b-{block_id}">{renderer.render(0, len(text))}</h{level}>'
    if kind == "list":
        return f'<div class="block-list" id="b-{block_id}">{_list_html(block, renderer)}</div>'
    if kind == "faq":
        question = block.get("question", "")
        q_end = len(question)
        return (
            f'<dl class="faq" id="b-{block_id}"><dt>{renderer.render(0, q_end)}</dt>'
            f"<dd>{renderer.render(q_end + 1, len(text))}</dd></dl>"
        )
    if kind == "quote":
        return (
            f'<blockquote id="b-{block_id}"><p>{renderer.render(0, len(text))}</p></blockquote>'
        )
    if kind == "caption":
        return f'<p class="caption" id="b-{block_id}">{renderer.render(0, len(text))}</p>'
    return f'<p id="b-{block_id}">{renderer.render(0, len(text))}</p>'


def render_body(blocks, annotations, citations, *, history_base=""):
    """Return the annotated body HTML of `blocks`.

    `annotations` are dicts with `id`, `block`, `start`, `end` (offsets in the block's text),
    `exact`, `verdict`, `certainty`, `note_html` and `sources` (source ids); `citations` are
    the numbered references, dicts with `number`, `id` and `title`. Each rated passage becomes
    a link to its note; the notes of a block follow it in a `div.notes` (a margin note on wide
    screens). Citation groups link to the numbered references. Annotations whose block is
    missing or whose offsets fall outside it are left out. With `history_base` (the path of
    the article's claim pages, ending in "/"), each note links to its claim's public rating
    history at `<history_base><id>/`.
    """
    by_block = {}
    for annotation in annotations:
        by_block.setdefault(annotation.get("block"), []).append(annotation)
    reference_numbers = {c["number"] for c in citations}
    references_by_id = {}
    for citation in citations:
        references_by_id.setdefault(citation["id"], citation)

    out = []
    for block in blocks:
        length = len(block_text(block))
        mine = [
            a for a in by_block.get(block.get("id"), ())
            if 0 <= a["start"] < a["end"] <= length
        ]
        mine.sort(key=lambda a: (a["start"], a["end"], a["id"]))
        renderer = _BlockRenderer(block, mine, reference_numbers)
        out.append(_block_html(block, renderer))
        if mine:
            notes = "".join(_note_html(a, references_by_id, history_base) for a in mine)
            out.append(f'<div class="notes" data-block="{esc(block.get("id", ""))}">{notes}</div>')
    return "\n".join(out)




def json_ld_script(data):
    """Return a `<script type="application/ld+json">` element holding `data`.

    `<`, `>` and `&` are escaped inside the JSON so no string can close the element.
    """
    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils.safestring import mark_safe

    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    # str.replace is C-fast; a translate table costs milliseconds on a long article.
    text = text.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")
    return mark_safe(  # noqa: S308 - the JSON is escaped above and holds no markup
        f'<script type="application/ld+json">{text}</script>'
    )


def structured_data(publication, *, url, site_name):
    """Return schema.org JSON-LD for a publication: a MedicalWebPage (with `lastReviewed`
    and `reviewedBy`) and, for each rated passage, a ClaimReview (`articles.claimreview`)."""
    trust = publication.trust or {}
    organisation = site_organisation(site_name)
    person = reviewer_person(trust.get("reviewer"))
    page = {
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": publication.title,
        "description": publication.summary,
        "inLanguage": "en",
        "datePublished": publication.first_published_at,
        "dateModified": publication.published_at,
        "publisher": organisation,
        "about": [{"@type": "Thing", "name": tag} for tag in publication.tags],
    }
    if trust.get("last_reviewed"):
        page["lastReviewed"] = trust["last_reviewed"]
    elif publication.reviewed_at:
        page["lastReviewed"] = publication.reviewed_at.date()
    if person:
        page["reviewedBy"] = person
    elif publication.reviewed_by:
        page["reviewedBy"] = [{"@type": "Person", "name": name} for name in publication.reviewed_by]
    graph = [page]
    claim = claim_item(trust.get("origin"))
    for annotation in publication.annotations:
        verdict = annotation.get("verdict")
        if not verdict:
            continue
        graph.append(
            {
                "@type": "ClaimReview",
                "url": f"{url}#claim-{annotation['id']}",
                "claimReviewed": annotation.get("exact", ""),
                "author": person or organisation,
                "publisher": organisation,
                "datePublished": publication.published_at,
                "itemReviewed": claim,
                "reviewRating": review_rating(
                    verdict, alternate_name=verdict_label(verdict),
                    explanation=certainty_label(annotation.get("certainty")),
                ),
            }
        )
    return {"@context": "https://schema.org", "@graph": graph}
