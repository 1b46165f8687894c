"""shared.platform.uploads: an upload is decoded in full as the type it claims (issue 17 point 5).

Every hostile shape is made in the test: a real file with HTML or a ZIP behind it, a header with no image, a PDF
header followed by junk, and (``samples.png_bomb``) a 30,000 x 30,000 PNG whose IDAT is a few hundred bytes.
"""

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import StreamObject

from shared.contracts.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared.platform import uploads
from shared.testing.samples import jpeg, pdf, png, png_bomb

pytestmark = [pytest.mark.unit, pytest.mark.req("W4")]

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def bogus_huffman_table(data: bytes) -> bytes:
    """``data`` with its first DHT's code counts overwritten: the segments still walk, the decoder refuses."""
    dht = data.find(b"\xff\xc4")
    return data[:dht + 5] + b"\xff" * 16 + data[dht + 21:]


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", HTML)
    return buffer.getvalue()


def pdf_with_content(operators: bytes) -> bytes:
    """A one-page PDF whose page content is ``operators``, Flate-compressed."""
    writer = PdfWriter()
    stream = StreamObject()
    stream.set_data(operators)
    writer.add_blank_page(595, 842).replace_contents(stream.flate_encode(level=9))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def refusal(data: bytes, error: type = ValidationFailed) -> dict:
    with pytest.raises(error) as raised:
        uploads.inspect(data)
    (field_error,) = raised.value.errors
    assert field_error["field"] == "body" and field_error["rule"] == "P5" and field_error["message"]
    return field_error


@pytest.mark.parametrize(("data", "content_type", "extension"), [
    (jpeg(), "image/jpeg", "jpg"),
    (jpeg(progressive=True), "image/jpeg", "jpg"),
    (jpeg(restart_marker_blocks=1), "image/jpeg", "jpg"),
    (png(), "image/png", "png"),
    (pdf(), "application/pdf", "pdf"),
    (pdf(uploads.MAX_PDF_PAGES), "application/pdf", "pdf"),
    (pdf() + b"\r\n" + b" " * 100, "application/pdf", "pdf"),
], ids=["jpeg", "progressive-jpeg", "jpeg-restart-markers", "png", "pdf", "pdf-50-pages", "pdf-whitespace-tail"])
def test_a_real_scan_is_accepted_as_its_type(data, content_type, extension):
    assert uploads.inspect(data) == uploads.Upload(content_type, extension)


def test_the_pixel_limit_is_the_modules_own_not_pillows_global(monkeypatch):
    # verification.photos lowers Image.MAX_IMAGE_PIXELS to 1.92 MP for its photos; an A4 scan at 300 dpi is 8.7 MP.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 800 * 600 * 4)
    assert uploads.inspect(jpeg(2480, 3508)).content_type == "image/jpeg"


def multi_picture_jpeg() -> bytes:
    """What many phone cameras write: a Multi-Picture Format file, a second JPEG after the first one's EOI."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "MPO", save_all=True,
                                                    append_images=[Image.new("RGB", (32, 24), (9, 9, 9))])
    return buffer.getvalue()


def test_a_phone_cameras_multi_picture_jpeg_is_accepted_and_nothing_may_follow_its_last_picture():
    assert uploads.inspect(multi_picture_jpeg()).content_type == "image/jpeg"
    assert refusal(multi_picture_jpeg() + HTML)["code"] == "trailing_data"
    assert refusal(jpeg() + jpeg())["code"] == "trailing_data"  # a second image without the first one's MPF index


@pytest.mark.parametrize(("data", "code"), [
    (jpeg() + HTML, "trailing_data"),
    (jpeg() + HTML + b"\xff\xd9", "trailing_data"),
    (b"\xff\xd8\xff\xe0" + HTML, "not_decodable"),
    (bogus_huffman_table(jpeg()), "not_decodable"),
    (jpeg()[:300], "not_decodable"),
], ids=["jpeg+html", "jpeg+html+eoi", "jpeg-header+html", "jpeg-bogus-huffman-table", "jpeg-cut"])
def test_a_jpeg_that_is_not_only_a_jpeg_is_refused(data, code):
    assert refusal(data)["code"] == code


@pytest.mark.parametrize(("data", "code"), [
    (png() + zip_file(), "trailing_data"),
    (b"\x89PNG\r\n\x1a\n" + HTML, "not_decodable"),
    (png()[:-12], "not_decodable"),
    (png()[:33] + chunk(b"IDAT", b"not zlib at all") + chunk(b"IEND", b""), "not_decodable"),
], ids=["png+zip", "png-header+html", "png-without-iend", "png-bad-idat"])
def test_a_png_that_is_not_only_a_png_is_refused(data, code):
    assert refusal(data)["code"] == code


def test_a_decompression_bomb_is_refused_from_its_header_before_decoding():
    bomb = png_bomb()
    assert len(bomb) < 2048
    # A decoder would find the tiny IDAT truncated (not_decodable); too_many_pixels proves it never ran.
    assert refusal(bomb)["code"] == "too_many_pixels"


def test_a_jpeg_over_40_megapixels_is_refused():
    assert refusal(jpeg(8000, 5001))["code"] == "too_many_pixels"


@pytest.mark.parametrize(("data", "code"), [
    (b"%PDF-1.7\n" + b"junk " * 200, "not_decodable"),
    (b"%PDF-1.7\n" + b"junk " * 200 + b"\n%%EOF\n", "not_decodable"),
    (pdf() + HTML, "trailing_data"),
    (pdf() + b"\n" * (uploads.PDF_TAIL_SLACK + 1), "trailing_data"),
    (pdf(uploads.MAX_PDF_PAGES + 1), "page_count"),
], ids=["pdf-junk", "pdf-junk-with-eof", "pdf+html", "pdf-long-tail", "pdf-51-pages"])
def test_a_pdf_that_is_not_only_a_pdf_is_refused(data, code):
    assert refusal(data)["code"] == code


def test_a_pdf_whose_content_decompresses_beyond_the_limit_is_refused():
    assert uploads.inspect(pdf_with_content(b"0 0 m 595 842 l S\n")).content_type == "application/pdf"
    bomb = pdf_with_content(b" " * (uploads.MAX_PDF_CONTENT + 1))
    assert len(bomb) < 64 * 1024
    assert refusal(bomb)["code"] == "too_much_content"


def test_anything_else_is_415_and_anything_bigger_than_10_mib_is_413():
    assert refusal(HTML, UnsupportedMediaType)["code"] == "file_type"
    assert refusal(png() + b"\0" * uploads.MAX_BYTES, PayloadTooLarge)["code"] == "too_large"


def test_accept_decodes_off_the_hub_and_raises_the_same_errors():
    assert uploads.accept(png()).content_type == "image/png"
    with pytest.raises(ValidationFailed):
        uploads.accept(png() + zip_file(), field="document", rule="P5")
