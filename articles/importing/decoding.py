"""From bytes to text: size limit, binary detection, encoding and format detection."""

import codecs
import re
from pathlib import PurePath

from django.conf import settings

FORMATS = ("text", "markdown", "html")
EXTENSION_FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
# Kinds of document people try to import that the importer does not read (yet).
REFUSED_EXTENSIONS = {
    ".pdf", ".doc", ".docx", ".odt", ".rtf", ".png", ".jpg", ".jpeg", ".gif", ".webp",
    ".svg", ".zip", ".gz", ".tar", ".exe", ".xls", ".xlsx", ".ppt", ".pptx", ".epub",
}
FORMAT_ALIASES = {"txt": "text", "plain": "text", "md": "markdown", "htm": "html"}

# Magic numbers of the binary files people most often pick by mistake.
BINARY_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF (WebP, WAV or AVI) file"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/OpenDocument file)"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)
# The share of control characters above which decoded bytes are not text.
MAX_CONTROL_SHARE = 0.02
SNIFF_CHARS = 4096
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class ImportFailure(ValueError):
    """A file that cannot be imported. The message is one readable line for the editor.

    `unsupported` marks a file of a kind the importer does not take at all (an image, an
    archive, binary data, an unknown format), as opposed to a readable file with a problem.
    """

    def __init__(self, message, *, unsupported=False, too_large=False):
        super().__init__(message)
        self.unsupported = unsupported
        self.too_large = too_large


def max_import_bytes():
    return int(getattr(settings, "KETASITE_IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def human_size(size):
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def check_size(size):
    """Raise ImportFailure when `size` bytes are more than the import limit.

    The one statement of the limit: `import_bytes` calls it before reading any further.
    """
    limit = max_import_bytes()
    if size > limit:
        raise ImportFailure(
            f"The file is {human_size(size)}; the import limit is {human_size(limit)} "
            "(KETASITE_IMPORT_MAX_BYTES).",
            too_large=True,
        )


def _control_share(text):
    sample = text[:SNIFF_CHARS * 4]
    if not sample:
        return 0.0
    return len(CONTROL_CHARS.findall(sample)) / len(sample)


def decode_bytes(data):
    """Return (text, encoding) for the bytes of a text document, or raise ImportFailure.

    Tries UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, then
    Windows-1252, then Latin-1 only when the result reads as text.
    """
    if not data or not data.strip():
        raise ImportFailure("The file is empty.")
    for signature, kind in BINARY_SIGNATURES:
        if data.startswith(signature):
            raise ImportFailure(
                f"This is {kind}, not a text, Markdown or HTML document.", unsupported=True
            )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFailure("The file claims to be UTF-16 but is not readable as UTF-16.")
    if b"\x00" in data:
        raise ImportFailure(
            "The file contains NUL bytes: it is binary, not a text document.", unsupported=True
        )
    candidates = []
    if data.startswith(codecs.BOM_UTF8):
        candidates.append(("utf-8-sig", data[len(codecs.BOM_UTF8):], "utf-8"))
    else:
        candidates.append(("utf-8", data, "utf-8"))
    candidates += [("cp1252", data, "windows-1252"), ("latin-1", data, "iso-8859-1")]
    for codec, payload, name in candidates:
        try:
            text = payload.decode(codec)
        except UnicodeDecodeError:
            continue
        if _control_share(text) > MAX_CONTROL_SHARE:
            continue
        if codec == "utf-8-sig":
            name = "utf-8-sig"
        return text, name
    raise ImportFailure(
        "The file is not readable text: it is not UTF-8, Windows-1252 or Latin-1 "
        "(save it as UTF-8 and try again)."
    )


def normalize_format(value):
    """Return one of FORMATS for a user-given format name, or raise ImportFailure."""
    name = str(value or "").strip().lower()
    name = FORMAT_ALIASES.get(name, name)
    if name not in FORMATS:
        raise ImportFailure(
            f"Unknown format {value!r}: use text, markdown or html.", unsupported=True
        )
    return name


def detect_format(*, filename, text, format=None):  # noqa: A002 - the contract's name
    """Return the format: the one asked for, else from the file's extension, else sniffed."""
    if format:
        return normalize_format(format)
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in EXTENSION_FORMATS:
        return EXTENSION_FORMATS[suffix]
    if suffix in REFUSED_EXTENSIONS:
        raise ImportFailure(
            f"{suffix} files are not imported: use a .txt, .md or .html file.", unsupported=True
        )
    head = text.lstrip()[:512].lower()
    if head.startswith(("<!doctype html", "<html")) or "<body" in head:
        return "html"
    return "text"
