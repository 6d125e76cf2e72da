"""Parsing is pure: bytes in, a ParsedDocument out, no database."""

from dataclasses import dataclass, field

from articles.blocks import MAX_BLOCKS
from articles.importing import cleanup
from articles.importing.decoding import ImportFailure, decode_bytes, detect_format
from articles.importing.markup import parse_html, parse_markdown
from articles.importing.plaintext import parse_plain_text


@dataclass
class ParsedDocument:
    """What the importer read from one file, before anything is stored."""

    title: str
    title_is_provisional: bool
    summary: str
    blocks: list
    references: list = field(default_factory=list)
    published_on: object = None
    is_promotional: bool = False
    dropped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    encoding: str = ""
    format: str = ""

    def report(self):
        """Return the JSON-ready import report kept in ImportRecord.report."""
        return {
            "title": self.title,
            "title_is_provisional": self.title_is_provisional,
            "summary": self.summary,
            "blocks": len(self.blocks),
            "references": [
                {k: ref[k] for k in ("pmid", "doi", "url", "title", "citation_text")}
                for ref in self.references
            ],
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "is_promotional": self.is_promotional,
            "dropped": self.dropped,
            "warnings": self.warnings,
            "encoding": self.encoding,
            "format": self.format,
        }


def parse_document(data, *, filename="", format=None):  # noqa: A002 - the contract's name
    """Read one file's bytes into a ParsedDocument; raise ImportFailure when it cannot be read.

    Decodes the bytes (UTF-8, Windows-1252, Latin-1), picks the format (asked for, else from
    the file name, else sniffed), builds typed blocks, then removes the title line, dates,
    boilerplate, a repeated table of contents, related links and the reference list, each
    reported in `dropped`, and proposes a summary.
    """
    text, encoding = decode_bytes(data)
    kind = detect_format(filename=filename, text=text, format=format)
    explicit_title, published_on = "", None
    if kind == "html":
        blocks, dropped, explicit_title, published_on = parse_html(text)
    elif kind == "markdown":
        blocks, dropped, explicit_title = parse_markdown(text)
    else:
        blocks, dropped = parse_plain_text(text)
    warnings = []
    blocks = cleanup.drop_empty(blocks)
    if not blocks and not explicit_title:
        raise ImportFailure("No readable text was found in the file.")
    title, provisional, blocks = cleanup.take_title(
        blocks, explicit_title=explicit_title, dropped=dropped, warnings=warnings
    )
    stated_date, blocks = cleanup.take_date(blocks, dropped=dropped)
    published_on = published_on or stated_date
    blocks = cleanup.drop_boilerplate(blocks, dropped=dropped)
    blocks = cleanup.drop_table_of_contents(blocks, dropped=dropped)
    references, blocks = cleanup.take_references(blocks)
    blocks = cleanup.drop_trailing_links(blocks, dropped=dropped)
    blocks = cleanup.make_faq_pairs(blocks)
    blocks = cleanup.split_long_paragraphs(blocks, warnings=warnings)
    blocks = cleanup.drop_empty(blocks)
    if not blocks:
        raise ImportFailure("The file has a title but no body text to import.")
    if len(blocks) > MAX_BLOCKS:
        raise ImportFailure(
            f"The file makes {len(blocks):,} blocks; an article holds at most {MAX_BLOCKS:,}."
        )
    problem = cleanup.too_long(blocks)
    if problem:
        raise ImportFailure(problem)
    blocks = cleanup.add_citation_links(blocks, len(references))
    promotion = cleanup.detect_promotion(blocks)
    if promotion:
        warnings.append(promotion)
    blocks = cleanup.assign_ids(blocks)
    return ParsedDocument(
        title=title,
        title_is_provisional=provisional,
        summary=cleanup.propose_summary(blocks),
        blocks=blocks,
        references=references,
        published_on=published_on,
        is_promotional=bool(promotion),
        dropped=dropped,
        warnings=warnings,
        encoding=encoding,
        format=kind,
    )
