"""What an uploaded file really is: its type sniffed from the content, never from its name.

Accepted: PDF (``%PDF-``), JPEG (``FF D8 FF``), PNG (the 8-byte signature) and OFD (GB/T
33190: a ZIP container whose entries include ``OFD.xml``). The extension of the original name
must agree with the content, so a program or a web page renamed ``.pdf`` is refused, and so is
a real PDF renamed ``.png`` (a browser or a viewer would otherwise be misled by the name).

Pure functions over bytes and file objects; no database, no storage.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

from xiaoneng.core.errors import InvalidInput

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class FileType:
    """One accepted type: its name, MIME type and the extensions that may carry it."""

    name: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
PNG = FileType("PNG", "image/png", (".png",))
OFD = FileType("OFD", "application/ofd", (".ofd",))
ACCEPTED_TYPES: tuple[FileType, ...] = (PDF, JPEG, PNG, OFD)


def extension_of(name: str) -> str:
    """The lower-case extension of a file name, with its dot; ``""`` without one."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base.strip(".") else ""


def _is_ofd(stream: IO[bytes]) -> bool:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            # Names only: nothing is extracted, so a ZIP bomb costs nothing here.
            return any(n.rsplit("/", 1)[-1] == "OFD.xml" for n in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def sniff(stream: IO[bytes]) -> FileType | None:
    """The accepted type the content is, or ``None``; the stream is left at its start."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    found: FileType | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith(PNG_SIGNATURE):
        found = PNG
    elif head.startswith(ZIP_SIGNATURE) and _is_ofd(stream):
        found = OFD
    stream.seek(0)
    return found


def check_upload(stream: IO[bytes], *, name: str, size: int, max_bytes: int) -> FileType:
    """The type of an upload, or :class:`InvalidInput` saying why it is refused.

    Raises:
        InvalidInput: empty, larger than ``max_bytes``, not one of the accepted types by its
            content, or an extension that does not match the content.
    """
    accepted = ", ".join(t.name for t in ACCEPTED_TYPES)
    if size <= 0:
        raise InvalidInput(
            _("The file %(name)s is empty.") % {"name": name}, details={"file": name}
        )
    if size > max_bytes:
        raise InvalidInput(
            _("The file %(name)s is %(size)s bytes; at most %(max)s bytes are accepted.")
            % {"name": name, "size": size, "max": max_bytes},
            details={"file": name, "size": size, "max_bytes": max_bytes},
        )
    found = sniff(stream)
    if found is None:
        raise InvalidInput(
            _(
                "The file %(name)s is not a %(accepted)s document: its content is something "
                "else, whatever its name says."
            )
            % {"name": name, "accepted": accepted},
            details={"file": name, "accepted": [t.name for t in ACCEPTED_TYPES]},
        )
    extension = extension_of(name)
    if extension not in found.extensions:
        raise InvalidInput(
            _(
                "The file %(name)s holds a %(type)s document, but its name ends in "
                "%(extension)s; expected %(expected)s."
            )
            % {
                "name": name,
                "type": found.name,
                "extension": extension or _("no extension"),
                "expected": " / ".join(found.extensions),
            },
            details={"file": name, "sniffed": found.name, "extension": extension},
        )
    return found
