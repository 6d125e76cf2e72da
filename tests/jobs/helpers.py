"""Crafted uploads and small helpers for the jobs tests."""

import io
import stat
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile


def article_text(number, *, words="Ketamine was studied in a small open-label trial."):
    return (f"Article number {number}\n\n{words} Paragraph for article {number}.\n\n"
            f"A second paragraph, so that article {number} has body text.\n").encode()


def make_zip(entries, *, name="upload.zip"):
    """Return an uploaded zip of `entries`: (name or ZipInfo, bytes) pairs, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry, data in entries:
            archive.writestr(entry, data)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def symlink_entry(name, target):
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def raw_name_entry(raw_name: bytes):
    """A ZipInfo whose stored name is `raw_name` without the UTF-8 flag (bytes as written)."""
    # zipfile writes a name without the UTF-8 flag encoded as ASCII, else sets the flag: to
    # store arbitrary bytes, name it with their code page 437 reading (decoded back the same).
    info = zipfile.ZipInfo(raw_name.decode("cp437"))
    return info


def patch_zip_names(data: bytes, replacements: dict[bytes, bytes]) -> bytes:
    """Replace stored names byte for byte (same length) in a zip's headers."""
    for old, new in replacements.items():
        assert len(old) == len(new)
        data = data.replace(old, new)
    return data
