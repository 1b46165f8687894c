"""Reading document scans by OCR (X7, an aid to P2): RapidOCR's Chinese PP-OCR models, which ship inside the
``rapidocr-onnxruntime`` wheel and run on onnxruntime on this machine's CPU. No image or text leaves the process.

``rapidocr-onnxruntime`` is installed without its ``opencv-python`` requirement (``requirements-nodeps.lock``,
installed with ``--no-deps`` by ``bin/setup`` and the Dockerfile): that wheel would replace the pinned headless
OpenCV whose Haar cascades the photo check needs, and the headless build serves RapidOCR as well.

CPU-bound (about a CPU-second per scan): callers run :func:`read_scan` off the eventlet hub (``eventlet.tpool``,
design.md §4). The engine is loaded once per process, on the first scan, inside that worker thread; one scan is
read at a time, on one thread (:data:`THREADS`).
"""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict

import numpy as np
from eventlet import patcher, tpool
from PIL import Image
from pypdf import PdfReader

from intake.domain.reading import READ_KINDS, Line, read

MAX_SIDE = 1600  # a phone photo of a card is downscaled to this first: enough for 5 mm print, 4x less work
# The work runs on eventlet's tpool, on OS threads: after nameko's monkey patch ``threading.Lock`` is a green lock,
# which an OS thread cannot wait on (concurrent callers hung), so the model is guarded by an OS lock.
_lock = patcher.original("threading").Lock()
# onnxruntime's own thread pool spins while it waits: on 2 cores shared with the other services a read cost 1.8x the
# CPU (4.2 against 2.4 CPU-s for a filing's two scans) and took longer too; a busy intake scales out instead.
THREADS = 1
_engine = []
REMEMBERED = 256  # scans' lines kept by digest (a few KB each): :func:`reading_of`
_remembered: OrderedDict[bytes, tuple[Line, ...]] = OrderedDict()


def _ocr():
    if not _engine:
        from rapidocr_onnxruntime import RapidOCR  # imported here: loading the models costs a second

        _engine.append(RapidOCR(intra_op_num_threads=THREADS))
    return _engine[0]


def _image(data: bytes) -> Image.Image | None:
    """The picture to read: the scan itself, or the largest image on a PDF's first page (a scanned PDF is one
    picture per page); None when there is none."""
    if data[:5] == b"%PDF-":
        pages = PdfReader(io.BytesIO(data)).pages
        pictures = [picture.image for picture in pages[0].images] if len(pages) else []
        return max(pictures, key=lambda p: p.width * p.height) if pictures else None
    return Image.open(io.BytesIO(data))


def read_scan(data: bytes) -> list[Line]:
    """The text lines of a scan (JPEG, PNG or PDF already accepted by ``shared.platform.uploads``), each with
    the model's confidence and where it lies; empty when nothing can be read."""
    try:
        picture = _image(data)
    except Exception:  # a PDF whose embedded picture does not decode reads as nothing, like a blank page
        picture = None
    if picture is None:
        return []
    picture = picture.convert("RGB")
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    pixels = np.ascontiguousarray(np.asarray(picture)[:, :, ::-1])  # RapidOCR takes OpenCV's BGR order
    with _lock:
        found, _elapsed = _ocr()(pixels)
    lines = []
    for box, text, score in found or []:
        ys = [point[1] for point in box]
        xs = [point[0] for point in box]
        lines.append(Line(str(text), float(score), float(min(xs)), float(max(xs)), float(sum(ys) / len(ys)),
                          float(max(ys) - min(ys))))
    return lines


def reading_of(kind: str, data: bytes) -> dict | None:
    """X7: what an identity document's scan says, read off the hub (``eventlet.tpool``), as the scan keeps it:
    ``{status, document, found: {name: {value, confidence}}}``; None for a scan kind that is not read.

    The same bytes read the same: the lines of the last :data:`REMEMBERED` scans read are kept by their SHA-256, so
    a scan uploaded again (the same licence for a sponsor's next website, a resubmission, a change) costs no second
    CPU-second. They stay in this process's memory only, like the scan while it is read."""
    if kind not in READ_KINDS:
        return None
    digest = hashlib.sha256(data).digest()
    lines = _remembered.pop(digest, None)
    if lines is None:
        lines = tuple(tpool.execute(read_scan, data))
    _remembered[digest] = lines  # the most recently read last
    while len(_remembered) > REMEMBERED:
        _remembered.popitem(last=False)
    found = read(list(lines))
    return {"status": found.status, "document": found.document,
            "found": {name: {"value": value, "confidence": round(confidence, 4)}
                       for name, (value, confidence) in found.fields.items()}}
