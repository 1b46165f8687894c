"""Uploaded scans and copies are decoded in full as the type they claim, never trusted by their first bytes (P5,
W4: reviewers open them later, so a JPEG header in front of HTML, a PNG with a ZIP behind it or a decompression
bomb must never be stored).

:func:`inspect` is pure and CPU-bound: services call :func:`accept`, which runs it off the eventlet hub
(``eventlet.tpool``, design.md §4). The limits are :data:`MAX_BYTES` (10 MiB), :data:`MAX_PIXELS` (40
megapixels, read from the header before any pixel is decoded), :data:`MAX_PDF_PAGES` (50) and
:data:`MAX_PDF_CONTENT` (32 MiB of page content once decompressed). A file is refused
when it does not decode as its type, or when it carries data after its end: after a JPEG's EOI marker, after a
PNG's IEND chunk, or more than :data:`PDF_TAIL_SLACK` bytes of whitespace after a PDF's last ``%%EOF``. What is
kept is the original bytes; nothing here re-encodes them.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import Final

from eventlet import tpool
from PIL import JpegImagePlugin, PngImagePlugin
from pypdf import PdfReader

from shared.contracts.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_BYTES: Final = 10 * 1024 * 1024
MAX_PIXELS: Final = 40_000_000
MAX_PDF_PAGES: Final = 50
MAX_PDF_CONTENT: Final = 32 * 1024 * 1024
PDF_TAIL_SLACK: Final = 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PDF_WHITESPACE = b" \t\r\n\f\x00"


@dataclass(frozen=True)
class Upload:
    """What an accepted upload is: its media type and the file extension it is stored under."""

    content_type: str
    extension: str


class _Refused(Exception):
    """A file that is not what its first bytes say; ``code`` and ``message`` become the field error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def inspect(data: bytes, *, field: str = "body", rule: str = "P5") -> Upload:
    """Decode ``data`` in full as the JPEG, PNG or PDF its first bytes claim and return its type.

    Raises :class:`PayloadTooLarge` (413) above :data:`MAX_BYTES`, :class:`UnsupportedMediaType` (415, code
    ``file_type``) for anything that does not start as a JPEG, PNG or PDF, and :class:`ValidationFailed` (422)
    with one ``{field, code, message, rule}`` when the file does not decode (``not_decodable``), carries data
    after its end (``trailing_data``), has more than :data:`MAX_PIXELS` pixels (``too_many_pixels``) or is a
    PDF without pages or with more than :data:`MAX_PDF_PAGES` (``page_count``) or whose pages decompress to more
    than :data:`MAX_PDF_CONTENT` (``too_much_content``).
    """
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge.about(field, "too_large", f"An upload is at most {MAX_BYTES // 2**20} MiB.", rule,
                                    {"limit": f"{MAX_BYTES // 2**20} MiB"})
    if data.startswith(b"\xff\xd8\xff"):
        upload, check = Upload("image/jpeg", "jpg"), _check_jpeg
    elif data.startswith(_PNG_SIGNATURE):
        upload, check = Upload("image/png", "png"), _check_png
    elif data.startswith(b"%PDF-"):
        upload, check = Upload("application/pdf", "pdf"), _check_pdf
    else:
        raise UnsupportedMediaType.about(
            field, "file_type", "Upload a JPEG, PNG or PDF scan (the type is read from the content).", rule)
    try:
        check(data)
    except _Refused as refused:
        raise ValidationFailed.about(field, refused.code, refused.message, rule) from None
    return upload


def accept(data: bytes, *, field: str = "body", rule: str = "P5") -> Upload:
    """:func:`inspect` off the eventlet hub: decoding 40 megapixels must not stall the other requests."""
    return tpool.execute(inspect, data, field=field, rule=rule)


def _not_decodable(kind: str) -> _Refused:
    return _Refused("not_decodable", f"The file starts like a {kind} but is not a valid {kind}; upload the scan "
                                     f"again as a {kind}.")


def _trailing(kind: str, end: str) -> _Refused:
    return _Refused("trailing_data", f"The {kind} carries data after its end ({end}); upload the scan itself.")


def _check_pixels(size: tuple[int, int]) -> None:
    if size[0] * size[1] > MAX_PIXELS:
        raise _Refused("too_many_pixels", f"An image is at most {MAX_PIXELS // 1_000_000} megapixels; scan at a "
                                          "lower resolution.")


def _decode_image(image_class: type, data: bytes, kind: str) -> None:
    # The plugin class, not Image.open: the file decodes as the type it claims or not at all, and the pixel limit
    # is this module's, not the process-wide Image.MAX_IMAGE_PIXELS another module may have set.
    try:
        image = image_class(io.BytesIO(data))
    except Exception:  # hostile bytes make the parsers raise anything (SyntaxError, struct.error, ...)
        raise _not_decodable(kind) from None
    with image:
        _check_pixels(image.size)
        try:
            image.load()
        except Exception:
            raise _not_decodable(kind) from None


def _check_jpeg(data: bytes) -> None:
    end, multi_picture = _jpeg_end(data)
    # A phone camera's picture is often a Multi-Picture Format file (CIPA DC-007: an APP2 "MPF" segment in the
    # first image indexes further JPEG images stored after its EOI); those images are part of the file. Anything
    # else after the EOI is not.
    while multi_picture and data[end:end + 2] == b"\xff\xd8":
        end, _ = _jpeg_end(data, end)
    if end != len(data):
        raise _trailing("JPEG", "the EOI marker")
    _decode_image(JpegImagePlugin.JpegImageFile, data, "JPEG")


def _jpeg_end(data: bytes, start: int = 0) -> tuple[int, bool]:
    """The offset just past the EOI marker that ends the image starting at ``start`` (its SOI), walking segments and
    entropy-coded data (an embedded EXIF thumbnail's own EOI is inside an APP1 segment and skipped with it), and
    whether the image has a Multi-Picture Format (APP2 ``MPF``) segment."""
    pos, size, multi_picture = start + 2, len(data), False
    while pos + 1 < size:
        if data[pos] != 0xFF:
            raise _not_decodable("JPEG")
        while pos + 1 < size and data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos + 1 >= size:
            break
        marker = data[pos + 1]
        if marker == 0xD9:
            return pos + 2, multi_picture
        if marker == 0xE2 and data[pos + 4:pos + 8] == b"MPF\x00":
            multi_picture = True
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > size:
            break
        pos += 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next marker that is not FF00 or RSTn
            while (pos := data.find(b"\xff", pos)) != -1 and pos + 1 < size and (
                    data[pos + 1] == 0x00 or 0xD0 <= data[pos + 1] <= 0xD7):
                pos += 2
            if pos == -1:
                break
    raise _not_decodable("JPEG")


def _check_png(data: bytes) -> None:
    if _png_end(data) != len(data):
        raise _trailing("PNG", "the IEND chunk")
    _decode_image(PngImagePlugin.PngImageFile, data, "PNG")


def _png_end(data: bytes) -> int:
    """The offset just past the IEND chunk, every chunk's length and CRC checked on the way."""
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            break
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(data[pos + 4:end - 4]) != crc:
            break
        if kind == b"IHDR":
            _check_pixels(struct.unpack(">II", data[pos + 8:pos + 16]))
        if kind == b"IEND":
            return end
        pos = end
    raise _not_decodable("PNG")


def _check_pdf(data: bytes) -> None:
    eof = data.rfind(b"%%EOF")
    if eof == -1:
        raise _not_decodable("PDF")
    tail = data[eof + len(b"%%EOF"):]
    if len(tail) > PDF_TAIL_SLACK or tail.strip(_PDF_WHITESPACE):
        raise _trailing("PDF", "the last %%EOF")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")  # permissions-only encryption opens with the empty password; anything else fails
        pages = len(reader.pages)
    except Exception:  # hostile bytes make the parser raise anything (PdfReadError, KeyError, ...)
        raise _not_decodable("PDF") from None
    if not 1 <= pages <= MAX_PDF_PAGES:
        raise _Refused("page_count", f"A PDF has 1 to {MAX_PDF_PAGES} pages; this one has {pages}.")
    # Every page's content streams are decoded (their filters run); the operators are not tokenised: pypdf does
    # that in pure Python at about 5 s a MiB, so a few-KiB PDF could hold a tpool thread for minutes.
    content = 0
    try:
        for page in reader.pages:
            if (contents := page.get_contents()) is not None:
                content += len(contents.get_data())
            if content > MAX_PDF_CONTENT:
                raise _Refused("too_much_content", f"A PDF's pages hold at most {MAX_PDF_CONTENT // 2**20} MiB of "
                                                   "content once decoded; this one holds more.")
    except _Refused:
        raise
    except Exception:
        raise _not_decodable("PDF") from None
