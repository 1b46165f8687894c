"""On-site photos for tests, the demo and the photo benchmark (P4): real faces that ship in scikit-image
(``astronaut``, ``lfw_subset``) composed at 800×600 onto the filing center's backdrop with its logo.

``make_logo()`` draws the backdrop logo deterministically; the verification service ships its output as
``verification/data/backdrop_logo.png`` (a test checks the two agree).
"""
import io

import numpy as np
from PIL import Image, ImageDraw

BACKDROP = (196, 214, 236)  # the light blue of the backdrop
LOGO_AT = (664, 24)  # top right corner of the backdrop


def make_logo() -> Image.Image:
    """The backdrop logo, 112×72: a red seal-like frame with a blue disc and bars, drawn with exact integers."""
    logo = Image.new("RGB", (112, 72), (255, 255, 255))
    draw = ImageDraw.Draw(logo)
    draw.rectangle((2, 2, 109, 69), outline=(200, 16, 46), width=5)
    draw.ellipse((14, 14, 58, 58), fill=(0, 82, 155))
    draw.polygon([(36, 20), (42, 34), (56, 34), (45, 43), (49, 56), (36, 48), (23, 56), (27, 43), (16, 34),
                  (30, 34)], fill=(255, 222, 0))
    for row in range(4):
        draw.rectangle((66, 16 + row * 11, 98 - row * 6, 22 + row * 11), fill=(200, 16, 46))
    return logo


def logo_png() -> bytes:
    out = io.BytesIO()
    make_logo().save(out, format="PNG", optimize=False)
    return out.getvalue()


def _face(index: int | None, size: int) -> Image.Image:
    from skimage import data

    if index is None:
        return Image.fromarray(data.astronaut()[20:300, 120:360]).resize((size, size * 280 // 240))
    grey = (data.lfw_subset()[index] * 255).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB").resize((size, size))


def backdrop_photo(*, faces: tuple = (None,), logo: bool = True, grey: bool = False, size: tuple = (800, 600),
                   image_format: str = "JPEG", seed: int = 0) -> bytes:
    """An encoded photo: ``faces`` (``None`` = the astronaut, an int = that ``lfw_subset`` face) side by side on
    the backdrop, the logo at :data:`LOGO_AT` when ``logo``; ``seed`` shifts the faces a little so that photos of
    different filings differ."""
    canvas = Image.new("RGB", (800, 600), BACKDROP)
    width = 240 if len(faces) == 1 else 200
    for position, face in enumerate(faces):
        picture = _face(face, width)
        x = (800 - width * len(faces)) // (len(faces) + 1) * (position + 1) + width * position + seed % 40
        canvas.paste(picture, (x, 150 + seed % 30))
    if logo:
        canvas.paste(make_logo(), LOGO_AT)
    if grey:
        canvas = canvas.convert("L")
    if size != (800, 600):
        canvas = canvas.resize(size)
    out = io.BytesIO()
    canvas.save(out, format=image_format, quality=92)
    return out.getvalue()


def decompression_bomb() -> bytes:
    """A small PNG that claims 30000×30000 pixels (900 megapixels) of one colour."""
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, format="PNG")
    return out.getvalue()
