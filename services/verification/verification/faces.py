"""The face comparison's model (X8): dlib's frontal face detector, its 5-point landmark model (the 68-point
model's licence excludes commercial use) and its ResNet face encoder, the model files from the
``face_recognition_models`` package, used directly through ``dlib-bin``. Nothing leaves the process, and the face
encodings live only inside :func:`compare`: biometric data is not stored beyond the comparison's result.

CPU-bound (a few tenths of a second): callers run :func:`compare` off the eventlet hub (``eventlet.tpool``,
design.md §4). The models are loaded once per process, on the first comparison, inside that worker thread; one
comparison runs at a time (dlib's objects are not shared across threads).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from eventlet import patcher
from PIL import Image, ImageOps

from verification.domain.face import THRESHOLD, outcome

MAX_SIDE = 1024  # larger photos are downscaled first: a face on a card or at the counter needs far less
# The work runs on eventlet's tpool, on OS threads: after nameko's monkey patch ``threading.Lock`` is a green lock,
# which an OS thread cannot wait on (concurrent callers hung), so the model is guarded by an OS lock.
_lock = patcher.original("threading").Lock()
_models = []


@dataclass(frozen=True)
class Comparison:
    """The model's answer: ``outcome`` (``verification.domain.face.FaceOutcome``), the descriptors' distance (None
    without a face on both sides), the threshold, and how many faces each side showed."""

    outcome: str
    distance: float | None
    threshold: float
    faces: tuple[int, int]


def _loaded():
    if not _models:
        import dlib
        import face_recognition_models as files

        _models.append((dlib.get_frontal_face_detector(),
                        dlib.shape_predictor(files.pose_predictor_five_point_model_location()),
                        dlib.face_recognition_model_v1(files.face_recognition_model_location())))
    return _models[0]


def _pixels(data: bytes) -> np.ndarray | None:
    try:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    except Exception:  # Pillow raises many types for bytes that are not an image: no usable face
        return None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.ascontiguousarray(np.asarray(image))


def _descriptor(pixels: np.ndarray | None) -> tuple[np.ndarray | None, int]:
    """The largest face's 128-d descriptor (the card's photo is the largest face on a scan of its front)."""
    if pixels is None:
        return None, 0
    detector, landmarks, encoder = _loaded()
    faces = detector(pixels, 1)
    if not faces:
        return None, 0
    face = max(faces, key=lambda box: box.area())
    return np.array(encoder.compute_face_descriptor(pixels, landmarks(pixels, face), 1)), len(faces)


def compare(photo: bytes, document: bytes) -> Comparison:
    """X8: the counter photo's face against the ID document's photo (a scan of the card's front, or the chip
    photo); ``no_face`` when either side shows none."""
    with _lock:
        mine, seen = _descriptor(_pixels(photo))
        theirs, shown = _descriptor(_pixels(document))
    distance = None if mine is None or theirs is None else round(float(np.linalg.norm(mine - theirs)), 4)
    return Comparison(outcome(distance).value, distance, THRESHOLD, (seen, shown))
