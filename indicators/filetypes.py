"""What an uploaded evidence file really is, judged by its content (magic
bytes), never by its name.

Accepted: PDF, PNG and JPEG images, Word and Excel in the current (OOXML zip)
and the old (OLE2 compound file) formats. Macro-enabled Office files and
anything else are refused. Virus scanning is out of scope here: the county
servers are expected to scan the media directory with their own tools.
"""

import io
import zipfile

from indicators.models import FileKind

CONTENT_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.DOC: "application/msword",
    FileKind.XLS: "application/vnd.ms-excel",
}

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The main part's content type in [Content_Types].xml tells Word from Excel;
# the macro-enabled variants (docm, xlsm) have other content types and fail.
OOXML_MAIN_PARTS = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": FileKind.DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": FileKind.XLSX,
}
CONTENT_TYPES_LIMIT = 1024 * 1024


def file_kind_detect(content: bytes) -> FileKind | None:
    """The file's kind from its first bytes (and, for Office files, its structure)."""
    if b"%PDF-" in content[:1024]:  # the PDF header may follow a few bytes of junk
        return FileKind.PDF
    if content.startswith(PNG_MAGIC):
        return FileKind.PNG
    if content.startswith(JPEG_MAGIC):
        return FileKind.JPEG
    if content.startswith(ZIP_MAGIC):
        return _ooxml_kind(content)
    if content.startswith(OLE2_MAGIC):
        return _ole2_kind(content)
    return None


def _ooxml_kind(content: bytes) -> FileKind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_LIMIT:
                return None
            types = archive.read(info)
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, OSError):
        return None
    for main_part, kind in OOXML_MAIN_PARTS.items():
        if main_part in types:
            return kind
    return None


def _ole2_kind(content: bytes) -> FileKind | None:
    # Stream names sit in the compound file's directory as UTF-16LE.
    if "WordDocument".encode("utf-16-le") in content:
        return FileKind.DOC
    if "Workbook".encode("utf-16-le") in content or "Book\x00".encode("utf-16-le") in content:
        return FileKind.XLS
    return None
