"""The on-site photo checks (P4): decode, size, colour, exactly one frontal face, the backdrop logo; the capture
time burnt in; SHA-256 and a perceptual hash to find a photo used for another filing.

CPU-bound: callers run :func:`check_photo` and :func:`stamp` off the eventlet hub (``eventlet.tpool``,
design.md §4). OpenCV and Pillow release the GIL in their heavy loops.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from shared.kernel.workdays import SHANGHAI
from verification.domain import PHOTO_SIZE

LOGO_FILE = Path(__file__).with_name("data") / "backdrop_logo.png"
FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
MAX_UPLOAD = 8 * 1024 * 1024
COLOUR_THRESHOLD = 6.0  # mean |R-G|+|G-B| below this is a greyscale picture stored as RGB
LOGO_THRESHOLD = 0.8  # normalised cross-correlation of the logo template
MIN_FACE = (60, 60)
SCALE_STEP = 1.1
_DOWNSCALE = SCALE_STEP**-6
DETECT_SIZE = (round(PHOTO_SIZE[0] * _DOWNSCALE), round(PHOTO_SIZE[1] * _DOWNSCALE))
DETECT_MIN_FACE = (round(MIN_FACE[0] * _DOWNSCALE), round(MIN_FACE[1] * _DOWNSCALE))
LOGO_REGION = (PHOTO_SIZE[0] // 2, 0, PHOTO_SIZE[0], PHOTO_SIZE[1] // 2)  # left, top, right, bottom: the top right
REUSE_DISTANCE = 3  # bits of 256 in which two perceptual hashes may differ and still be the same photo

Image.MAX_IMAGE_PIXELS = PHOTO_SIZE[0] * PHOTO_SIZE[1] * 4  # a decompression bomb fails before it decodes


@dataclass
class PhotoCheck:
    """What the checks found; ``reasons`` is empty when the photo passes (each ``{field, code, message, rule}``)."""

    reasons: list[dict] = field(default_factory=list)
    content_type: str | None = None
    sha256: str = ""
    phash: str = ""
    faces: int = 0
    logo_score: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.reasons


def _reason(code: str, message: str) -> dict:
    return {"field": "photo", "code": code, "message": message, "rule": "P4"}


_per_thread = threading.local()


def _cascade() -> cv2.CascadeClassifier:
    # One detector per tpool thread: a CascadeClassifier shared across threads returns spurious extra faces.
    if not hasattr(_per_thread, "cascade"):
        _per_thread.cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return _per_thread.cascade


@cache
def logo_template(path: Path = LOGO_FILE) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def perceptual_hash(grey: np.ndarray) -> str:
    """A 256-bit difference hash (dHash, 16×16) in hex: a re-saved JPEG of the same photo differs in a bit or two,
    another person on the same backdrop in about 25 (a coarser 64-bit hash cannot tell them apart)."""
    small = cv2.resize(grey, (17, 16), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):064x}"


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def check_photo(data: bytes, logo: np.ndarray | None = None) -> PhotoCheck:
    """P4: every check that applies, each failure with its reason. A non-image, another format, another size
    or a decompression bomb stops before the pixel checks (whose answers would mean nothing)."""
    result = PhotoCheck(sha256=hashlib.sha256(data).hexdigest())
    if len(data) > MAX_UPLOAD:
        result.reasons.append(_reason("too_large", f"The photo may be at most {MAX_UPLOAD} bytes."))
        return result
    try:
        image = Image.open(io.BytesIO(data))
        image_format = image.format
        size = image.size
    except Image.DecompressionBombError:
        result.reasons.append(_reason("decompression_bomb", "The image claims far more pixels than 800×600."))
        return result
    except Exception:  # Pillow raises many types for bytes that are not an image
        result.reasons.append(_reason("not_an_image", "The upload does not decode as a JPEG or PNG image."))
        return result
    if image_format not in FORMATS:
        result.reasons.append(_reason("format", f"The photo must be JPEG or PNG, not {image_format}."))
        return result
    result.content_type = FORMATS[image_format]
    if size != PHOTO_SIZE:
        result.reasons.append(_reason("size", f"The photo must be exactly 800×600 pixels, not {size[0]}×{size[1]}."))
        return result
    try:
        rgb = np.asarray(image.convert("RGB"))
    except Exception:
        result.reasons.append(_reason("not_an_image", "The image data is damaged."))
        return result
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    result.phash = perceptual_hash(grey)
    channels = rgb.astype(np.int16)
    spread = float(np.mean(np.abs(channels[..., 0] - channels[..., 1]) + np.abs(channels[..., 1] - channels[..., 2])))
    if image.mode in ("L", "LA", "1", "I", "I;16") or spread < COLOUR_THRESHOLD:
        result.reasons.append(_reason("greyscale", "The photo must be in colour."))
    # Detection on a copy downscaled by SCALE_STEP**-6 (0.56): the detector's window grows by SCALE_STEP per pass, so
    # on that copy it visits the very window sizes it visits on the full image (one of them larger), at a third of
    # the pixels; same verdicts on every photo of the test set (tests/unit/test_photos.py).
    small = cv2.resize(grey, DETECT_SIZE, interpolation=cv2.INTER_AREA)
    faces = _cascade().detectMultiScale(small, scaleFactor=SCALE_STEP, minNeighbors=5, minSize=DETECT_MIN_FACE)
    result.faces = len(faces)
    if result.faces == 0:
        result.reasons.append(_reason("no_face", "No frontal face is visible."))
    elif result.faces > 1:
        result.reasons.append(_reason("several_faces", f"{result.faces} faces are visible; exactly one is allowed."))
    template = logo if logo is not None else logo_template()
    # The logo is on the backdrop behind the sponsor's right shoulder: it is searched for in that corner only.
    region = grey[LOGO_REGION[1]:LOGO_REGION[3], LOGO_REGION[0]:LOGO_REGION[2]]
    result.logo_score = float(cv2.minMaxLoc(cv2.matchTemplate(region, template, cv2.TM_CCOEFF_NORMED))[1])
    if result.logo_score < LOGO_THRESHOLD:
        result.reasons.append(_reason("no_backdrop_logo", "The filing center's backdrop logo is not visible."))
    return result


def stamp(data: bytes, taken_at: datetime) -> bytes:
    """P4: the photo shows the time it was taken: a JPEG copy with the capture time (Asia/Shanghai) burnt into
    the lower left corner, away from the backdrop logo."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    text = taken_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间"
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_FILE), 22) if FONT_FILE.exists() else ImageFont.load_default()
    left, top, right, bottom = draw.textbbox((12, PHOTO_SIZE[1] - 40), text, font=font)
    draw.rectangle((left - 6, top - 4, right + 6, bottom + 4), fill=(0, 0, 0))
    draw.text((12, PHOTO_SIZE[1] - 40), text, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def thumbnail(data: bytes, width: int = 200) -> bytes:
    """A small PNG of the photo for the verification form (P6)."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((width, width))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
