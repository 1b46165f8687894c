"""The steps of the visit at the counter (issue 20; P4–P6, R1.8, X8, W3), one page each, as the signed-in
verifier over verification's API; every rule stays verification's, the pages show what it answers.

- The photo (P4): taken with the counter's camera in the browser (``static/counter.js``: the frame, cropped to
  4:3 and scaled to 800×600, becomes the upload form's file) or uploaded as a file; each automatic check is shown
  with its outcome, a refusal with every reason in Chinese; the accepted photo with its capture time burnt in.
- The face comparison (X8): the person's consent first; with it, the ID document's photo compared with the
  counter photo, and staff confirm or overrule the model's outcome with a reason; without it, staff compare by
  eye and say what they saw.
- The originals (P5, P6): the copies kept, what the originals say (checked by verification against the
  authorities and compared with the filing field by field), each difference corrected on site and recorded.
- The domains' owners (P5): looked up by RDAP/WHOIS; a redacted owner's domain certificate uploaded and confirmed.
- The access information (R1.8, P5) as the provider hosts the site.
- The security agreement (P6, W3): the clause, the signer's name and the signature drawn on the counter's pad
  (``static/counter.js``).
"""
from __future__ import annotations

import mimetypes

from werkzeug.wrappers import Response

from portal import forms
from portal.consoles.access import acted, staff_only
from portal.consoles.counter import STEPS, case_of, open_steps
from portal.pages import Page, _checked, _page, _posted

# P4's checks as the photo page lists them, each with the codes verification refuses a photo with; a refusal by
# one of the first two stops before the pixels are looked at, so the others were not run.
PHOTO_CHECKS = (("format", ("too_large", "not_an_image", "decompression_bomb", "format")), ("size", ("size",)),
                ("colour", ("greyscale",)), ("face", ("no_face", "several_faces")), ("logo", ("no_backdrop_logo",)),
                ("reuse", ("reused",)))
STOPPING = frozenset(PHOTO_CHECKS[0][1] + PHOTO_CHECKS[1][1])
FACE_SOURCES = ("card_scan", "chip_photo")
COPY_SUBJECTS = ("sponsor", "responsible_person")
CHECKED_FIELDS = ("name", "document_type", "document_number")
CORRECTABLE = ("sponsor.name", "sponsor.document_type", "sponsor.document_number", "responsible_person.name",
               "responsible_person.document_type", "responsible_person.document_number", "contacts.mobile",
               "contacts.office_phone", "contacts.home_phone", "contacts.email", "contacts.postal_address")
ACCESS_METHODS = ("dedicated_server", "colocation", "virtual_host", "cloud_server", "other")


def photo_checks(errors: list[dict]) -> list[dict]:
    """Each P4 check of a refused photo: ``failed`` with its reasons, ``passed``, or ``not_run`` (after a
    refusal by format or size)."""
    codes = {e.get("code") for e in errors if e.get("field") == "photo"}
    stopped = bool(codes & STOPPING)
    shown = []
    for index, (name, refusing) in enumerate(PHOTO_CHECKS):
        reasons = [e for e in errors if e.get("field") == "photo" and e.get("code") in refusing]
        outcome = "failed" if reasons else ("not_run" if stopped and index > 1 else "passed")
        shown.append({"name": name, "outcome": outcome, "reasons": reasons})
    return shown


def access_from(form: dict) -> dict:
    """R1.8: the access information as the form (``staff/counter_macros.html: access_fields``) carries it."""
    return {"provider_name": form.get("provider_name", "").strip(), "access_method": form.get("access_method", ""),
            "server_location": form.get("server_location", "").strip(),
            "ip_addresses": [item.strip() for item in forms.LIST_SEPARATORS.split(form.get("ip_addresses", ""))
                             if item.strip()]}


class CounterSteps:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("counter")
    def counter_step(self, page: Page, filing_id: str, step: str) -> Response:
        if step not in STEPS:
            return page.error(404, title="error.not_found_title", hint="error.not_found_hint")
        return self._step(page, filing_id, step)

    def _step(self, page: Page, filing_id: str, step: str, status: int = 200, errors: list | None = None,
              **extra) -> Response:
        answer = case_of(page, filing_id)
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        case = answer.body
        context = {"case": case, "errors": errors or [], "steps": STEPS, "step": step, "open_steps": open_steps(case),
                   **extra}
        if step == "photo":
            context["checks"] = photo_checks(errors or []) if status == 422 else None
        elif step == "face":
            context["sources"] = FACE_SOURCES
        elif step == "originals":
            data = case.get("filing") or {}
            context.update(subjects=COPY_SUBJECTS, checked=CHECKED_FIELDS, correctable=CORRECTABLE,
                           document_types={s: forms.options(f"{s}.document_type", data) for s in COPY_SUBJECTS})
        elif step == "access":
            context.update(methods=ACCESS_METHODS, shown=case.get("access") or (case.get("filing") or {}).get(
                "access") or {})
        elif step == "agreement":
            clause = page.api("intake").get("/contract-clause")  # W3: the clause the agreement carries, verbatim
            context["clause"] = clause.body.get("clause") if clause.ok else None
        return page.render(f"staff/counter_{step}.html", status=status, **context)

    def _after(self, page: Page, filing_id: str, step: str, answer) -> Response:
        """On to the step's page again with what verification now says, or the page with what it refused."""
        return acted(page, answer, lambda *refused: self._step(page, filing_id, step, *refused),
                     f"/staff/counter/{filing_id}/steps/{step}")

    def _send(self, page: Page, filing_id: str, step: str, path: str, name: str, field: str, rule: str,
              **params) -> Response:
        """The file of the form's ``name`` field to verification's ``path`` as it came (verification decodes and
        keeps it); without a file, the page again naming ``field``."""
        upload = page.request.files.get(name)
        if upload is None or not upload.filename:
            return self._step(page, filing_id, step, 422, [{"field": field, "code": "no_file", "message": "",
                                                            "rule": rule}])
        content_type = upload.mimetype or mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        answer = _checked(page.api("verification").post(f"/filings/{filing_id}{path}", data=upload.read(),
                                                        params=params, headers={"Content-Type": content_type},
                                                        key=page.form().get("key")))
        return self._after(page, filing_id, step, answer)

    def _post(self, page: Page, filing_id: str, step: str, path: str, body: dict | None = None) -> Response:
        answer = _checked(page.api("verification").post(f"/filings/{filing_id}{path}", json=body,
                                                        key=page.form().get("key")))
        return self._after(page, filing_id, step, answer)

    # --- P4: the photo ---------------------------------------------------------------------------------------

    @_posted
    @staff_only("counter")
    def counter_photo(self, page: Page, filing_id: str) -> Response:
        """P4: the photo from the camera or a file; verification checks it, stamps the time and locks it."""
        return self._send(page, filing_id, "photo", "/photo", "photo", "photo", "P4")

    # --- X8: the face comparison -----------------------------------------------------------------------------

    @_posted
    @staff_only("counter")
    def counter_face_consent(self, page: Page, filing_id: str) -> Response:
        """X8: the person's answer, asked before any comparison (a new answer starts the comparison again)."""
        return self._post(page, filing_id, "face", "/face-consent", {"consent": page.form().get("consent") == "yes"})

    @_posted
    @staff_only("counter")
    def counter_face_comparison(self, page: Page, filing_id: str) -> Response:
        """X8: the ID document's photo (a scan of the card's front or the chip photo) against the counter photo."""
        return self._send(page, filing_id, "face", "/face-comparison", "document", "document", "X8",
                          source=page.form().get("source", ""))

    @_posted
    @staff_only("counter")
    def counter_face_decision(self, page: Page, filing_id: str) -> Response:
        """X8: staff confirm or overrule the model (a reason to overrule), or record what they saw by eye."""
        form = page.form()
        return self._post(page, filing_id, "face", "/face-decision",
                          {"agrees": form.get("agrees") == "yes", "reason": form.get("reason", "").strip() or None})

    # --- P5, P6: copies, originals, corrections ------------------------------------------------------------------

    @_posted
    @staff_only("counter")
    def counter_copy(self, page: Page, filing_id: str, subject: str) -> Response:
        """P5: a copy of the sponsor's or the responsible person's original document, kept under lock (W4)."""
        return self._send(page, filing_id, "originals", f"/copies/{subject}", "copy", f"copies.{subject}", "P5")

    @_posted
    @staff_only("counter")
    def counter_originals(self, page: Page, filing_id: str) -> Response:
        """P5: what the originals say, and that the ID card is the person's present; verification checks them with
        the authorities and against the filing."""
        form = page.form()
        body = {s: {f: form.get(f"{s}.{f}", "").strip() for f in CHECKED_FIELDS} for s in COPY_SUBJECTS}
        body["person_present_confirmed"] = form.get("person_present_confirmed") == "yes"
        return self._post(page, filing_id, "originals", "/originals", body)

    @_posted
    @staff_only("counter")
    def counter_correction(self, page: Page, filing_id: str) -> Response:
        """P6: an error found on site corrected on site (recorded, and printed on the form)."""
        form = page.form()
        return self._post(page, filing_id, "originals", "/corrections",
                          {"field": form.get("field", ""), "after": form.get("after", "").strip()})

    # --- P5: the domains' owners ---------------------------------------------------------------------------------

    @_posted
    @staff_only("counter")
    def counter_domain_checks(self, page: Page, filing_id: str) -> Response:
        """P5: each domain's owner looked up (RDAP, else WHOIS) and compared with the sponsor's name."""
        return self._post(page, filing_id, "domains", "/domain-checks")

    @_posted
    @staff_only("counter")
    def counter_domain_certificate(self, page: Page, filing_id: str, name: str) -> Response:
        """P5: the domain certificate of a redacted owner, kept under lock (W4)."""
        return self._send(page, filing_id, "domains", f"/domains/{name}/certificate", "certificate",
                          f"domains.{name}", "P5")

    @_posted
    @staff_only("counter")
    def counter_domain_confirmation(self, page: Page, filing_id: str, name: str) -> Response:
        """P5: staff confirm the kept certificate names the sponsor as the owner."""
        return self._post(page, filing_id, "domains", f"/domains/{name}/confirmation")

    # --- R1.8: the access information; P6: the agreement -------------------------------------------------------

    @_posted
    @staff_only("counter")
    def counter_access(self, page: Page, filing_id: str) -> Response:
        """R1.8/P5: as the provider hosts the site; verification checks every IP is the provider's own."""
        answer = _checked(page.api("verification").call("PUT", f"/filings/{filing_id}/access",
                                                        json=access_from(page.form())))
        return self._after(page, filing_id, "access", answer)

    @_posted
    @staff_only("counter")
    def counter_agreement(self, page: Page, filing_id: str) -> Response:
        """P6/W3: the signer and the signature drawn on the pad; verification renders, seals and locks the
        agreement."""
        form = page.form()
        return self._post(page, filing_id, "agreement", "/agreement",
                          {"signed_by": form.get("signed_by", "").strip(), "signature": form.get("signature", "")})
