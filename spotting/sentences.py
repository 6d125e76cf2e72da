"""Splitting a revision's blocks into sentences, with the offsets annotations use.

Each block is split where a reader sees separate statements: a heading is one unit, each list
item is one (its text is the items joined by "\n"), an FAQ item is its question and its
answer. Within a unit, syntok finds the sentence boundaries: it knows abbreviations
("e.g.", "Dr.", "U.S."), decimals and citation groups such as "(1,2)." and is about three
times faster than pysbd on our texts (see docs/claim-spotting.md).

Offsets are characters (code points) of the block's text (`articles.blocks.block_text`), as
an annotation's `start`/`end`; `position` is the W3C TextPositionSelector over the article's
plain text (`articles.blocks.plain_text`, blocks joined by a blank line).
"""

from dataclasses import dataclass

from syntok import segmenter
from syntok.tokenizer import Tokenizer

from articles.blocks import BLOCK_SEPARATOR, block_text
from evidence.anchoring import quote_context


@dataclass(frozen=True)
class Sentence:
    """One sentence of a block: where it is, what it says, and what part of the block."""

    block_id: str
    role: str  # heading, paragraph, item, question, answer, quote, caption
    start: int
    end: int
    text: str
    position_start: int
    position_end: int
    prefix: str = ""
    suffix: str = ""

    def selector(self) -> list[dict]:
        """Return the W3C selectors of this sentence, as an annotation of it would have."""
        return [
            {"type": "TextQuoteSelector", "exact": self.text, "prefix": self.prefix,
             "suffix": self.suffix},
            {"type": "TextPositionSelector", "start": self.position_start,
             "end": self.position_end},
        ]


def _units(block: dict, text: str):
    """Yield (role, start, end) for the parts of a block that are read separately."""
    kind = block.get("type")
    if kind == "heading":
        yield "heading", 0, len(text)
        return
    if kind in ("list", "faq"):
        offset = 0
        for index, line in enumerate(text.split("\n")):
            if kind == "list":
                role = "item"
            else:
                role = "question" if index == 0 else "answer"
            yield role, offset, offset + len(line)
            offset += len(line) + 1
        return
    yield (kind if kind in ("quote", "caption") else "paragraph"), 0, len(text)


# Tokens keep the text's own spelling ("don't" is not rewritten), so offsets read back.
TOKENIZER = Tokenizer(replace_not_contraction=False)
TERMINALS = ".!?…"
CLOSERS = "\"'”’)]» \t\n"


def _one_sentence(text: str) -> bool:
    """True when `text` has no sentence terminal before its end: then there is nothing to
    split, and syntok (the costly part of spotting) need not run."""
    body = text.rstrip(CLOSERS).rstrip(TERMINALS)
    return not any(terminal in body for terminal in TERMINALS)


def split_text(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each sentence of `text`, without surrounding white space."""
    if _one_sentence(text):
        return [(0, len(text))] if text.strip() else []
    spans = []
    for sentence in segmenter.split(TOKENIZER.tokenize(text)):
        if not sentence:
            continue
        start = sentence[0].offset
        end = sentence[-1].offset + len(sentence[-1].value)
        # syntok reports offsets in the text it was given; keep only spans that read back
        # as text (never trust a span outside the string).
        if 0 <= start < end <= len(text) and text[start:end].strip():
            spans.append((start, end))
    return spans


def block_sentences(block: dict, *, block_start: int = 0) -> list[Sentence]:
    """Return the sentences of one block, in reading order."""
    text = block_text(block)
    found = []
    for role, unit_start, unit_end in _units(block, text):
        unit = text[unit_start:unit_end]
        if not unit.strip():
            continue
        spans = [(0, len(unit))] if role == "heading" else split_text(unit)
        for start, end in spans:
            # Trim white space so the quote is the words only (a heading may carry some).
            while start < end and unit[start].isspace():
                start += 1
            while end > start and unit[end - 1].isspace():
                end -= 1
            if start == end:
                continue
            start, end = unit_start + start, unit_start + end
            exact, prefix, suffix = quote_context(text, start, end)
            found.append(Sentence(
                block_id=block["id"], role=role, start=start, end=end, text=exact,
                position_start=block_start + start, position_end=block_start + end,
                prefix=prefix, suffix=suffix,
            ))
    return found


def revision_sentences(blocks: list[dict]) -> list[Sentence]:
    """Return every sentence of the blocks, in reading order, with article-wide positions."""
    sentences = []
    offset = 0
    for block in blocks:
        sentences.extend(block_sentences(block, block_start=offset))
        offset += len(block_text(block)) + len(BLOCK_SEPARATOR)
    return sentences
