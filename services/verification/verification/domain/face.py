"""The face comparison at the counter (X8, an aid to P5: 身份证与当事人是否一致). Pure: consent, the outcome of a
comparison, the staff's decision, and what the verification form and the verdict read of them.

A face is sensitive personal information (PIPL art. 28–29): the person consents to the comparison first; without
consent staff compare by eye and record that they did. The model's outcome is a finding, never the decision:
staff confirm it or overrule it with a reason, and until they have, the case is not complete.
"""

from __future__ import annotations

from enum import StrEnum

THRESHOLD = 0.6
"""Euclidean distance between dlib ResNet face descriptors below which two faces are taken as one person (dlib's
own operating point on LFW: 99.38 % accuracy)."""
MODEL = "dlib_face_recognition_resnet_model_v1 + shape_predictor_5_face_landmarks (face_recognition_models 0.3.0)"
SOURCES = ("card_scan", "chip_photo")
"""Where the document's photo comes from: a scan of the ID card's front, or the chip photo a card reader gives."""


class FaceOutcome(StrEnum):
    SAME_PERSON = "same_person"
    DIFFERENT_PERSON = "different_person"
    NO_FACE = "no_face"  # no usable face on the counter photo or on the document: staff compare by eye


class FaceRefused(Exception):
    """A step the comparison's state does not allow: ``field``, ``code``, ``message`` as a field error (X8)."""

    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


def outcome(distance: float | None) -> FaceOutcome:
    """The model's outcome for a distance (None: a face was missing on one side)."""
    if distance is None:
        return FaceOutcome.NO_FACE
    return FaceOutcome.SAME_PERSON if distance < THRESHOLD else FaceOutcome.DIFFERENT_PERSON


def may_compare(face: dict | None, photo: dict | None) -> None:
    """The machine compares only an accepted counter photo, and only after the person consented."""
    if not photo:
        raise FaceRefused("photo", "required", "Take the counter photo first.")
    if not face or face.get("consent") is not True:
        raise FaceRefused("face.consent", "consent_required",
                          "The person must consent to the face comparison first (PIPL art. 28-29); without "
                          "consent, compare by eye and record it.")


def decision(face: dict | None, agrees: bool, reason: str | None) -> dict:
    """Staff's decision: after a comparison they confirm (``agrees``) or overrule it, with a reason when they
    overrule; without consent (or with no usable face) they compare by eye, and say what they saw."""
    if not face or face.get("consent") is None:
        raise FaceRefused("face.consent", "required", "Record whether the person consents first.")
    compared = face.get("outcome") in (FaceOutcome.SAME_PERSON, FaceOutcome.DIFFERENT_PERSON)
    if face.get("consent") and not face.get("outcome"):
        raise FaceRefused("face", "not_compared", "Run the comparison first.")
    if (not agrees or not compared) and not (reason or "").strip():
        raise FaceRefused("reason", "required", "Say why: what staff saw when comparing by eye or overruling.")
    method = "model_confirmed" if compared and agrees else ("model_overruled" if compared else "by_eye")
    same = (face["outcome"] == FaceOutcome.SAME_PERSON) == agrees if compared else agrees
    return {"method": method, "same_person": same, "reason": (reason or "").strip() or None}


def reasons(face: dict | None) -> list[dict]:
    """What keeps the case from being verified (``onsite.blocking_reasons``): a comparison or a refusal of
    consent that staff have not decided yet; staff's decision that the person is not the one on the card. No
    comparison at all blocks nothing (the staff's eye, ``person_present_confirmed``, is P5's check)."""
    if not face:
        return []
    if not face.get("decision"):
        return [{"field": "face.decision", "code": "required",
                 "message": "Confirm or overrule the face comparison (or record the comparison by eye).",
                 "rule": "X8"}]
    if not face["decision"]["same_person"]:
        return [{"field": "face.decision", "code": "not_same_person",
                 "message": "Staff found the person present is not the person on the ID document.", "rule": "P5"}]
    return []


def form_items(face: dict | None) -> list[dict]:
    """The check item the verification form prints (P6, X8)."""
    if not face or not face.get("decision"):
        return []
    taken = face["decision"]
    if face.get("outcome"):
        result = (f"模型: {face['outcome']} 距离 {face['distance']} 阈值 {face['threshold']}；"
                  f"工作人员{'确认' if taken['method'] == 'model_confirmed' else '改判'}: "
                  f"{'同一人' if taken['same_person'] else '非同一人'}")
    else:
        result = f"未经同意或无可用人脸，工作人员目视比对: {'同一人' if taken['same_person'] else '非同一人'}"
    return [{"item": "人脸比对 (X8)", "result": result + (f"（{taken['reason']}）" if taken["reason"] else ""),
             "by": taken["by"], "at": taken["at"]}]
