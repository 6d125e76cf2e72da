"""Unpacking uploaded files and zip archives for an import job, safely, in memory.

Nothing is written to disk and nothing is extracted by name, so a hostile name cannot reach
the file system; the names are still checked, because a name that climbs out (`../`), is
absolute, is not UTF-8, or belongs to a link or a nested archive marks a crafted archive.

- The whole upload is refused (`UploadRefused`, nothing written) for a zip bomb (more than
  KETASITE_IMPORT_MAX_UNPACKED_BYTES unpacked in all, or a compression ratio over
  KETASITE_IMPORT_MAX_RATIO), more than KETASITE_IMPORT_MAX_FILES files, an archive over
  KETASITE_IMPORT_MAX_ARCHIVE_BYTES, or one that cannot be read.
- A member that is a link, a nested archive, encrypted, an absolute or climbing path, a name
  that is not valid UTF-8, over KETASITE_IMPORT_MAX_BYTES, or not a text, Markdown or HTML
  file is refused on its own: it is listed with its reason and never read into the job.
"""

import io
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings

from articles.importing.decoding import EXTENSION_FORMATS, human_size, max_import_bytes

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ARCHIVE_MAGIC = (
    b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!", b"BZh",
    b"\xfd7zXZ\x00",
)
ARCHIVE_SUFFIXES = {".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".jar",
                    ".zst", ".docx", ".odt", ".epub"}
# A ratio over the limit in a small member is ordinary (a page of repeated markup); a bomb
# needs size, so the ratio is judged on members, and archives, at least this large.
RATIO_FLOOR_BYTES = 1024 * 1024
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1


class UploadRefused(ValueError):
    """The whole upload is refused before anything is written; the message says why."""


@dataclass
class Member:
    """One file to import, or one refused (`data` None, `refused` the reason)."""

    name: str
    data: bytes | None = None
    refused: str = ""


def _limits():
    return {
        "files": int(settings.KETASITE_IMPORT_MAX_FILES),
        "archive": int(settings.KETASITE_IMPORT_MAX_ARCHIVE_BYTES),
        "unpacked": int(settings.KETASITE_IMPORT_MAX_UNPACKED_BYTES),
        "ratio": int(settings.KETASITE_IMPORT_MAX_RATIO),
        "file": max_import_bytes(),
    }


def is_zip(name: str, head: bytes) -> bool:
    return name.lower().endswith(".zip") or head.startswith(ZIP_MAGIC)


def unpack_uploads(uploads) -> list[Member]:
    """Return the members of `uploads` (objects with `.name`, `.size`, `.read()`, `.seek()`):
    plain files as they are, zip archives unpacked. Raises UploadRefused."""
    limits = _limits()
    members: list[Member] = []
    for upload in uploads:
        name = upload.name or "upload"
        head = upload.read(8)
        upload.seek(0)
        if is_zip(name, head):
            members.extend(_unpack_zip(upload, name=name, limits=limits))
        elif (upload.size or 0) > limits["file"]:
            members.append(Member(name=name, refused=_too_big(upload.size, limits)))
        else:
            members.append(Member(name=name, data=upload.read()))
        if len(members) > limits["files"]:
            raise UploadRefused(_too_many(limits))
    return members


def _too_many(limits):
    return (f"The upload holds more than {limits['files']:,} files "
            "(KETASITE_IMPORT_MAX_FILES); import it in parts.")


def _too_big(size, limits):
    return (f"The file is {human_size(size)}; the import limit is {human_size(limits['file'])} "
            "(KETASITE_IMPORT_MAX_BYTES).")


def _unpack_zip(upload, *, name, limits):
    if (upload.size or 0) > limits["archive"]:
        raise UploadRefused(
            f"{name} is {human_size(upload.size)}; an archive may be at most "
            f"{human_size(limits['archive'])} (KETASITE_IMPORT_MAX_ARCHIVE_BYTES)."
        )
    try:
        try:
            archive = zipfile.ZipFile(upload)
        except UnicodeDecodeError:
            # A name flagged UTF-8 that is not: zipfile refuses the whole archive. Read it
            # again with those flags cleared, so that each such member is refused alone.
            upload.seek(0)
            data = _without_false_utf8_flags(upload.read())
            if data is None:
                raise UploadRefused(f"{name} has file names that are not valid UTF-8.")
            archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise UploadRefused(f"{name} is not a readable zip archive ({error}).")
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > limits["files"]:
            raise UploadRefused(_too_many(limits))
        _refuse_bombs(infos, name=name, limits=limits)
        members, unpacked = [], 0
        for info in infos:
            member_name, refusal = _check_member(info, limits=limits)
            if refusal:
                members.append(Member(name=member_name, refused=refusal))
                continue
            try:
                with archive.open(info) as stream:
                    # Never more than the limit, whatever the header claims.
                    data = stream.read(limits["file"] + 1)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
                members.append(Member(name=member_name, refused=f"cannot be read ({error})."))
                continue
            unpacked += len(data)
            if unpacked > limits["unpacked"]:
                raise UploadRefused(_bomb_message(name, limits))
            if len(data) > limits["file"]:
                members.append(Member(name=member_name, refused=_too_big(len(data), limits)))
            elif data.startswith(ARCHIVE_MAGIC):
                members.append(Member(name=member_name,
                                      refused="is an archive inside the archive; unpack it "
                                              "first (nested archives are not opened)."))
            else:
                members.append(Member(name=member_name, data=data))
        return members


EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header


def _without_false_utf8_flags(data: bytes) -> bytes | None:
    """Return `data` with the UTF-8 flag cleared in each central directory entry whose name
    is not valid UTF-8 (zipfile then reads the name as bytes, and `_check_member` refuses
    it), or None when the archive's directory cannot be walked this simply (ZIP64)."""
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or end + EOCD.size > len(data):
        return None
    *_, entries, size, offset, _comment = EOCD.unpack_from(data, end)
    if 0xFFFFFFFF in (size, offset) or entries == 0xFFFF or offset + size > end:
        return None
    patched = bytearray(data)
    position = offset
    for _ in range(entries):
        if position + CENTRAL.size > end:
            return None
        fields = CENTRAL.unpack_from(data, position)
        if fields[0] != b"PK\x01\x02":
            return None
        flags, name_length, extra_length, comment_length = (fields[3], fields[10], fields[11],
                                                            fields[12])
        raw = data[position + CENTRAL.size:position + CENTRAL.size + name_length]
        if flags & UTF8_FLAG:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                struct.pack_into("<H", patched, position + 8, flags & ~UTF8_FLAG)
        position += CENTRAL.size + name_length + extra_length + comment_length
    return bytes(patched)


def _bomb_message(name, limits):
    return (f"{name} looks like a zip bomb: it would unpack to more than "
            f"{human_size(limits['unpacked'])} (KETASITE_IMPORT_MAX_UNPACKED_BYTES) or "
            f"compresses more than {limits['ratio']}:1 (KETASITE_IMPORT_MAX_RATIO).")


def _refuse_bombs(infos, *, name, limits):
    """Refuse an archive whose headers promise too much (the reads check again)."""
    declared = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos)
    if declared > limits["unpacked"]:
        raise UploadRefused(_bomb_message(name, limits))
    if declared >= RATIO_FLOOR_BYTES and declared > limits["ratio"] * max(compressed, 1):
        raise UploadRefused(_bomb_message(name, limits))
    for info in infos:
        if (info.file_size >= RATIO_FLOOR_BYTES
                and info.file_size > limits["ratio"] * max(info.compress_size, 1)):
            raise UploadRefused(_bomb_message(name, limits))


def _raw_name(info) -> bytes:
    if info.flag_bits & UTF8_FLAG:
        return info.orig_filename.encode("utf-8", "surrogateescape")
    # zipfile decodes names without the UTF-8 flag as code page 437; undo that losslessly.
    return info.orig_filename.encode("cp437")


def _check_member(info, *, limits) -> tuple[str, str]:
    """Return (display name, refusal reason or "") for one archive member."""
    raw = _raw_name(info)
    try:
        member_name = raw.decode("utf-8")
    except UnicodeDecodeError:
        shown = raw.decode("utf-8", "replace")
        return shown, "its name is not valid UTF-8."
    if "\x00" in member_name or any(ord(char) < 32 for char in member_name):
        return member_name.replace("\x00", "\\0"), "its name holds control characters."
    parts = member_name.replace("\\", "/").split("/")
    if member_name.startswith(("/", "\\")) or (len(member_name) > 1 and member_name[1] == ":"):
        return member_name, "its path is absolute."
    if ".." in parts:
        return member_name, "its path climbs out of the archive (../)."
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return member_name, "is a symbolic link (links are not followed)."
    if info.flag_bits & ENCRYPTED_FLAG:
        return member_name, "is encrypted."
    suffix = PurePosixPath(member_name).suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return member_name, ("is an archive inside the archive; unpack it first (nested "
                             "archives are not opened).")
    if any(part.startswith(".") or part == "__MACOSX" for part in parts):
        return member_name, "is a hidden or system file."
    if suffix not in EXTENSION_FORMATS:
        return member_name, "is not an importable file type (use .txt, .md, .html or .htm)."
    if info.file_size > limits["file"]:
        return member_name, _too_big(info.file_size, limits)
    return member_name, ""
