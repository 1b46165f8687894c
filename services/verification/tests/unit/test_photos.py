"""P4 photo checks on real faces (scikit-image's astronaut and lfw_subset) composed onto the backdrop."""
import io
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from shared.testing.faces import backdrop_photo, decompression_bomb, logo_png
from verification import photos

pytestmark = pytest.mark.unit


def _codes(data: bytes) -> list[str]:
    return [r["code"] for r in photos.check_photo(data).reasons]


@pytest.mark.req("P4")
@pytest.mark.parametrize("photo", [backdrop_photo(), backdrop_photo(image_format="PNG"), backdrop_photo(faces=(3,)),
                                   backdrop_photo(faces=(40,), seed=11)])
def test_a_good_photo_passes(photo):
    result = photos.check_photo(photo)
    assert result.passed, result.reasons
    assert result.faces == 1 and result.logo_score > photos.LOGO_THRESHOLD and len(result.sha256) == 64


@pytest.mark.req("P4")
@pytest.mark.parametrize("photo, codes", [
    (backdrop_photo(size=(640, 480)), ["size"]),
    (backdrop_photo(grey=True), ["greyscale"]),
    (backdrop_photo(faces=()), ["no_face"]),
    (backdrop_photo(faces=(None, 5)), ["several_faces"]),
    (backdrop_photo(logo=False), ["no_backdrop_logo"]),
    (b"%PDF-1.7 not a photo", ["not_an_image"]),
    (decompression_bomb(), ["decompression_bomb"]),
], ids=["size", "greyscale", "no-face", "two-faces", "no-logo", "non-image", "bomb"])
def test_each_failure_has_its_reason(photo, codes):
    result = photos.check_photo(photo)
    assert [r["code"] for r in result.reasons] == codes
    assert all(r["rule"] == "P4" and r["field"] == "photo" and r["message"] for r in result.reasons)


@pytest.mark.req("P4")
def test_a_greyscale_picture_saved_as_rgb_is_still_greyscale():
    grey = Image.open(io.BytesIO(backdrop_photo(grey=True))).convert("RGB")
    out = io.BytesIO()
    grey.save(out, format="JPEG")
    assert _codes(out.getvalue()) == ["greyscale"]


@pytest.mark.req("P4")
def test_a_reencoded_photo_keeps_its_perceptual_hash_and_another_person_does_not():
    original = photos.check_photo(backdrop_photo())
    out = io.BytesIO()
    Image.open(io.BytesIO(backdrop_photo())).save(out, format="JPEG", quality=60)
    again = photos.check_photo(out.getvalue())
    other = photos.check_photo(backdrop_photo(faces=(3,)))
    assert again.sha256 != original.sha256
    assert photos.hamming(again.phash, original.phash) <= photos.REUSE_DISTANCE
    assert photos.hamming(other.phash, original.phash) > photos.REUSE_DISTANCE


@pytest.mark.req("P4")
def test_the_stamped_copy_shows_the_capture_time_and_keeps_size_and_logo():
    photo = backdrop_photo()
    stamped = photos.stamp(photo, datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    before = np.asarray(Image.open(io.BytesIO(photo)).convert("RGB"), dtype=np.int16)
    after = np.asarray(Image.open(io.BytesIO(stamped)).convert("RGB"), dtype=np.int16)
    assert after.shape == before.shape
    changed = np.abs(after - before).sum(axis=2) > 60
    assert changed[560:600, :300].mean() > 0.2  # the time band, lower left
    assert changed[:200, 600:].mean() < 0.01  # the logo untouched
    assert photos.check_photo(stamped).passed


def test_the_shipped_logo_is_the_generated_one():
    assert photos.LOGO_FILE.read_bytes() == logo_png()


@pytest.mark.req("P4")
def test_photos_checked_on_several_threads_at_once_each_find_one_face():
    """The service checks photos on eventlet's tpool threads; a detector shared between them miscounts faces."""
    from concurrent.futures import ThreadPoolExecutor

    shots = [backdrop_photo(faces=(index,), seed=seed) for seed, index in enumerate((None, 3, 40, 11))] * 10
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda shot: photos.check_photo(shot).faces, shots))
    assert counts == [1] * len(shots)


@pytest.mark.req("P4")
def test_the_journeys_photos_pass_and_no_two_look_alike():
    """shared.testing.journey gives each filing of a run its own photo: every one must pass, and none may count
    as another's re-use, or a system test or the e2e benchmark stops at its n-th filing."""
    from itertools import combinations

    from shared.testing.journey import PHOTOS

    hashes = []
    for face, seed in PHOTOS:
        checked = photos.check_photo(backdrop_photo(faces=(face,), seed=seed))
        assert checked.reasons == [], (face, seed)
        hashes.append(checked.phash)
    assert min(photos.hamming(a, b) for a, b in combinations(hashes, 2)) > photos.REUSE_DISTANCE
