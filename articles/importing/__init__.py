"""Article import: bytes in, typed blocks and an import report out.

`parse_document` (parser.py) is pure; `import_bytes` and `import_paths` (importer.py) store
the result. See docs/internals.md.
"""

from articles.importing.decoding import ImportFailure
from articles.importing.importer import ImportOutcome, import_bytes, import_paths
from articles.importing.parser import ParsedDocument, parse_document

__all__ = [
    "ImportFailure",
    "ImportOutcome",
    "ParsedDocument",
    "import_bytes",
    "import_paths",
    "parse_document",
]
