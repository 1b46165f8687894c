"""Notify's pure rules: the message templates, the message states, the retry policy and recipient forms.

Templates are versioned: a text that reaches people is never edited in place, a change is a new version, and
every stored message records the ``(name, version)`` it was rendered from. P2's two texts are quoted
**verbatim** from the requirements (a unit test compares them character by character with
``spec/requirements.md``). Later issues add templates here.

The delivery rule
-----------------
A message is handed to its gateway once, and again only when the gateway says it never got it:

- a send whose outcome nobody recorded (the process died mid-send, or the gateway could not say) is ``unknown``;
- each ``unknown`` message is reconciled through the gateway's send-status query (``status(message_id)``: SMS
  gateways answer it, as Alibaba's QuerySendDetails and Tencent's PullSmsSendStatus do, while they do not
  deduplicate on a client id): ``delivered`` -> the message is delivered and not sent again; ``failed`` -> failed;
  no record -> sent again, as the next attempt of the same message (which is reconciled the same way if it
  too is interrupted); a gateway that cannot answer now is asked again later;
- where the gateway has no such query (SMTP), the template decides: ``resend_when_in_doubt`` sends again (a
  duplicate rather than a lost text: fine for a code or a reminder), otherwise the message stays ``unknown``
  and is reported for staff to check.

Stdlib only (design.md §2).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")  # dates in texts are the sponsor's calendar days
SMS = "sms"
EMAIL = "email"
CHANNELS = (SMS, EMAIL)

# P2: the validity of a contact-confirmation code (precheck issues codes valid for 24 hours).
CODE_VALIDITY_HOURS = 24


class MessageState(StrEnum):
    """``pending -> sending -> delivered | retry_wait | failed | unknown``; ``retry_wait -> sending``;
    ``unknown -> delivered | failed | retry_wait`` (reconciled by the delivery rule above).

    ``unknown`` means an attempt started and its outcome was never recorded (the process died mid-send, or
    the gateway could not say); it is sent again only when the gateway has no record of it, or, for a gateway
    without a status query, when its template resends when in doubt.
    """

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    UNKNOWN = "unknown"


DUE_STATES = (MessageState.PENDING, MessageState.RETRY_WAIT)
FINAL_STATES = (MessageState.DELIVERED, MessageState.FAILED, MessageState.UNKNOWN)


class AttemptOutcome(StrEnum):
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    REJECTED = "rejected"  # permanent: the gateway refused this message
    UNAVAILABLE = "unavailable"  # retryable: the gateway could not take it now
    UNKNOWN = "unknown"  # nobody knows whether it went out


# --- templates ---------------------------------------------------------------------------------------------


class TemplateError(ValueError):
    """A template or its parameters are wrong; ``field`` names the offending input."""

    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Template:
    """One version of one message text for one channel.

    ``secret_params`` are parameters (one-time codes) whose rendered text must be stored encrypted and that
    other services hand over sealed; ``subject`` is the e-mail subject (no parameters in it);
    ``resend_when_in_doubt``: an interrupted send through a gateway without a status query is sent again (see
    the delivery rule).
    """

    name: str
    version: int
    channel: str
    text: str
    subject: str | None = None
    secret_params: frozenset[str] = field(default_factory=frozenset)
    rule: str = ""
    resend_when_in_doubt: bool = False

    @property
    def params(self) -> frozenset[str]:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.text) if name)

    @property
    def sensitive(self) -> bool:
        """The rendered text contains a secret: store it encrypted, never log it."""
        return bool(self.secret_params)

    def render(self, params: dict[str, str]) -> str:
        """The text with exactly its parameters filled in (missing or extra ones are errors)."""
        given = set(params)
        missing = sorted(self.params - given)
        extra = sorted(given - self.params)
        if missing:
            raise TemplateError(f"params.{missing[0]}", "required", f"template {self.name} needs {missing}")
        if extra:
            raise TemplateError(f"params.{extra[0]}", "unknown_field", f"template {self.name} takes no {extra}")
        return self.text.format_map({key: str(value) for key, value in params.items()})


# One line each, so that the texts can be found verbatim (requirements.md P2).
PRECHECK_PASSED_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"  # noqa: E501
PRECHECK_FAILED_TEXT = "您提交的网站备案信息未通过预核验，请修改后重新提交"

PRECHECK_PASSED = "precheck_passed"
PRECHECK_FAILED = "precheck_failed"
CONTACT_CODE = "contact_code"
ONSITE_WINDOW_EXPIRED = "onsite_window_expired"
FILING_APPROVED = "filing_approved"

_TEMPLATES: tuple[Template, ...] = (
    # P2: the pass and fail texts, verbatim.
    Template(PRECHECK_PASSED, 1, SMS, PRECHECK_PASSED_TEXT, rule="P2"),
    Template(PRECHECK_FAILED, 1, SMS, PRECHECK_FAILED_TEXT, rule="P2"),
    # P2: contact details are confirmed by phone, e-mail or similar: a one-time code, valid 24 hours.
    Template(
        CONTACT_CODE,
        1,
        SMS,
        f"您正在确认网站备案联系方式，验证码为{{code}}，{CODE_VALIDITY_HOURS}小时内有效。如非本人操作，请忽略本短信。",
        secret_params=frozenset({"code"}),
        rule="P2",
    ),
    Template(
        CONTACT_CODE,
        1,
        EMAIL,
        "您好：\n\n您正在确认网站备案的联系电子邮箱，验证码为：{code}\n\n"
        f"验证码{CODE_VALIDITY_HOURS}小时内有效，请勿告知他人。如非本人操作，请忽略本邮件。\n",
        subject="网站备案联系方式确认验证码",
        secret_params=frozenset({"code"}),
        rule="P2",
        resend_when_in_doubt=True,  # a second mail with the same code is harmless; no code blocks the filing
    ),
)


# P3: nobody came for on-site verification within the month; the filing is back with the sponsor.
ONSITE_WINDOW_EXPIRED_TEXT = "您的网站备案信息已通过预核验，但网站负责人未在1个月内到我单位备案现场办理核验手续，备案信息已退回，如需备案请重新提交"  # noqa: E501
# P8: the bureau issued the filing number.
FILING_APPROVED_TEXT = "您的网站备案已通过通信管理局审核，备案号为{filing_number}，请在网站首页底部标注备案号并链接至工业和信息化部政务服务平台"  # noqa: E501

_TEMPLATES += (
    Template(ONSITE_WINDOW_EXPIRED, 1, SMS, ONSITE_WINDOW_EXPIRED_TEXT, rule="P3"),
    Template(FILING_APPROVED, 1, SMS, FILING_APPROVED_TEXT, rule="P8"),
)

# P1: the sponsor signs in to the provider's filing system with a one-time code (intake, issue 8).
SIGN_IN_CODE = "sign_in_code"
SIGN_IN_CODE_TEXT = "您正在登录网站备案系统，验证码为{code}，10分钟内有效。请勿告知他人，如非本人操作，请忽略本短信。"  # noqa: E501
_TEMPLATES += (
    Template(SIGN_IN_CODE, 1, SMS, SIGN_IN_CODE_TEXT, secret_params=frozenset({"code"}), rule="P1"),
)


# W5: the regular revisit of an approved sponsor asks it to confirm or update its data.
REVISIT_REQUESTED = "revisit_requested"
REVISIT_REQUESTED_TEXT = "您的网站备案（备案号{filing_number}）正在进行定期核查，请于{answer_by}前登录备案系统确认备案信息是否准确；如信息有变化，请及时提交备案变更"  # noqa: E501
# W6: a filing approved before face-to-face verification must now be verified on site.
REVERIFICATION_REQUESTED = "reverification_requested"
REVERIFICATION_REQUESTED_TEXT = "您的网站备案（备案号{filing_number}）需补充办理当面核验，请网站负责人于{deadline}前携带有关证件原件到我单位备案现场办理核验手续"  # noqa: E501

_TEMPLATES += (
    Template(REVISIT_REQUESTED, 1, SMS, REVISIT_REQUESTED_TEXT, rule="W5"),
    Template(
        REVISIT_REQUESTED,
        1,
        EMAIL,
        "您好：\n\n" + REVISIT_REQUESTED_TEXT + "。\n\n"
        "依据备案管理要求，我单位定期核查已接入网站的备案信息。如您的主办者信息、网站负责人、联系方式或网站信息已发生变化，"
        "请登录备案系统提交变更；信息无变化的，请在系统中确认。逾期未答复的，我单位工作人员将与您联系。\n",
        subject="网站备案信息定期核查",
        rule="W5",
        resend_when_in_doubt=True,  # a reminder twice rather than a revisit nobody was told of
    ),
    Template(REVERIFICATION_REQUESTED, 1, SMS, REVERIFICATION_REQUESTED_TEXT, rule="W6"),
)


# X2: the bureau's MIIT SMS check; X4: the sponsor told of a return, of a refusal, of a cancellation, of its draft's
# expiry, and reminded before the code expires and before the on-site window closes. Times are Beijing time
# (``beijing_minute``).
MIIT_CODE = "miit_code"
MIIT_CODE_TEXT = "您的网站备案正在进行工业和信息化部短信核验，验证码为{code}，请网站负责人于{expires_at}前在通信管理局备案核验页面输入验证码及本人证件号码后六位。请勿告知他人。"  # noqa: E501
MIIT_CODE_EXPIRING = "miit_code_expiring"
MIIT_CODE_EXPIRING_TEXT = "您的网站备案短信核验验证码将于{expires_at}失效，请网站负责人尽快完成核验；逾期未完成的，备案信息将退回。"  # noqa: E501
FILING_RETURNED = "filing_returned"
FILING_RETURNED_TEXT = "您的网站备案信息未通过通信管理局审核，已退回我单位，请登录备案系统查看退回原因，修改后重新提交"
FILING_CANCELLED = "filing_cancelled"
FILING_CANCELLED_TEXT = "您的网站备案已注销（备案号：{filing_number}），相关网站将不再接入我单位。如非本人申请，请立即与我单位联系"  # noqa: E501
DRAFT_EXPIRING = "draft_expiring"
DRAFT_EXPIRING_TEXT = "您在网站备案系统中填写的备案信息尚未提交，将于{expires_at}过期作废，如需继续办理请在此之前登录系统修改并提交"  # noqa: E501
DRAFT_EXPIRED = "draft_expired"
DRAFT_EXPIRED_TEXT = "您在网站备案系统中填写的备案信息超过45天未提交，已过期作废，如需备案请重新填写提交"
ONSITE_REJECTED = "onsite_rejected"
ONSITE_REJECTED_TEXT = "您的网站备案信息未通过现场核验，不予受理，原因：{reasons}。请修改后重新提交"
ONSITE_WINDOW_CLOSING = "onsite_window_closing"
ONSITE_WINDOW_CLOSING_TEXT = "您的网站备案现场核验办理期限将于{closes_at}届满，请网站负责人在此之前携带有关证件原件到我单位备案现场办理核验手续"  # noqa: E501

_TEMPLATES += (
    Template(MIIT_CODE, 1, SMS, MIIT_CODE_TEXT, secret_params=frozenset({"code"}), rule="X2"),
    Template(MIIT_CODE_EXPIRING, 1, SMS, MIIT_CODE_EXPIRING_TEXT, rule="X4"),
    Template(FILING_RETURNED, 1, SMS, FILING_RETURNED_TEXT, rule="X4"),
    Template(ONSITE_REJECTED, 1, SMS, ONSITE_REJECTED_TEXT, rule="X4"),
    Template(ONSITE_WINDOW_CLOSING, 1, SMS, ONSITE_WINDOW_CLOSING_TEXT, rule="X4"),
    Template(FILING_CANCELLED, 1, SMS, FILING_CANCELLED_TEXT, rule="X4"),
    Template(DRAFT_EXPIRING, 1, SMS, DRAFT_EXPIRING_TEXT, rule="X4"),
    Template(DRAFT_EXPIRED, 1, SMS, DRAFT_EXPIRED_TEXT, rule="X4"),
    Template(FILING_CANCELLED, 1, EMAIL, "您好：\n\n" + FILING_CANCELLED_TEXT + "。\n", subject="网站备案注销通知",
             rule="X4", resend_when_in_doubt=True),  # told twice rather than not told
)


def beijing_minute(value: datetime) -> str:
    """A time as the sponsor reads it: Beijing time to the minute (``2026-11-21 09:30``)."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _index(templates: tuple[Template, ...]) -> dict[tuple[str, str, int], Template]:
    index: dict[tuple[str, str, int], Template] = {}
    for template in templates:
        key = (template.name, template.channel, template.version)
        if key in index:
            raise ValueError(f"template {key} defined twice")
        index[key] = template
    return index


TEMPLATES = _index(_TEMPLATES)


def template(name: str, channel: str, version: int | None = None) -> Template:
    """The template ``name`` for ``channel``: the given version, else the newest."""
    versions = [t for (n, c, _), t in TEMPLATES.items() if n == name and c == channel]
    if version is not None:
        versions = [t for t in versions if t.version == version]
    if not versions:
        raise TemplateError("template", "unknown", f"no template {name!r} for channel {channel!r}")
    return max(versions, key=lambda t: t.version)


# --- recipients --------------------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"[^@\s]+@{_LABEL}(?:\.{_LABEL})+")


class InvalidRecipient(ValueError):
    """The recipient is not a mainland mobile number / an e-mail address (the message says which, not the
    value)."""


def canonical_recipient(channel: str, value: str) -> str:
    """The one form a recipient is stored, hashed and sent in: 11-digit mainland mobile numbers (``+86`` and
    separators dropped) and e-mail addresses with a lower-case domain."""
    value = (value or "").strip()
    if channel == SMS:
        match = _MOBILE_RE.fullmatch(re.sub(r"[\s-]", "", value))
        if not match:
            raise InvalidRecipient("recipient is not a mainland mobile number")
        return match.group(1)
    if channel == EMAIL:
        if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
            raise InvalidRecipient("recipient is not an e-mail address")
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    raise InvalidRecipient(f"unknown channel {channel!r}")


def recipient_kind(channel: str) -> str:
    """The lookup-hash kind of a channel's recipient (``mobile`` or ``email``)."""
    return "mobile" if channel == SMS else "email"


# --- retries -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between delivery attempts: ``base * 2**(n-1)`` after the n-th failed attempt,
    capped at ``cap``; after ``max_attempts`` unavailable answers the message has failed."""

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, attempts: int) -> timedelta:
        return min(self.base * (2 ** max(attempts - 1, 0)), self.cap)

    def after_unavailable(self, attempts: int) -> MessageState:
        return MessageState.FAILED if attempts >= self.max_attempts else MessageState.RETRY_WAIT


# --- the message lifecycle ---------------------------------------------------------------------------------

KEEP = object()
"""A :class:`Transition`'s ``finished_at`` that leaves the message's as it is."""


@dataclass(frozen=True)
class Transition:
    """A message's next state and what comes with it: when it is next due (None: not by the timer), when it
    finished (:data:`KEEP`: unchanged), the outcome to report (``delivered`` / ``failed``: an event and a count;
    ``retry`` / ``unknown`` / ``resend``: a count) and, when not None, its new ``last_error``."""

    state: MessageState
    next_attempt_at: datetime | None
    finished_at: object = KEEP
    outcome: str | None = None
    reported: bool = False  # the outcome is published (message_delivered.v1 / message_failed.v1)


def claim(state: MessageState, attempts: int) -> tuple[MessageState, int]:
    """A due message is handed to its gateway as the next attempt: ``sending``, attempts + 1."""
    if state not in DUE_STATES:
        raise ValueError(f"a {state} message is not due")
    return MessageState.SENDING, attempts + 1


def _final(state: MessageState, now: datetime, *, reported: bool) -> Transition:
    return Transition(state, None, now, state.value, reported)


def after_attempt(outcome: str, number: int, policy: RetryPolicy, now: datetime) -> Transition:
    """The gateway's answer to attempt ``number``: delivered; unavailable -> ``retry_wait`` after the backoff
    until the policy's attempts run out, then failed; rejected -> failed; anything else -> ``unknown``, due for
    reconciliation now."""
    if outcome == AttemptOutcome.DELIVERED:
        return _final(MessageState.DELIVERED, now, reported=True)
    if outcome == AttemptOutcome.UNAVAILABLE and policy.after_unavailable(number) == MessageState.RETRY_WAIT:
        return Transition(MessageState.RETRY_WAIT, now + policy.delay(number), outcome="retry")
    if outcome in (AttemptOutcome.UNAVAILABLE, AttemptOutcome.REJECTED):
        return _final(MessageState.FAILED, now, reported=True)
    return Transition(MessageState.UNKNOWN, now, now, MessageState.UNKNOWN.value)


def stale(now: datetime) -> Transition:
    """A send whose process stopped mid-way: ``unknown``, due for reconciliation now."""
    return Transition(MessageState.UNKNOWN, now, now, MessageState.UNKNOWN.value)


def after_reconciliation(verdict: str, now: datetime) -> tuple[Transition, str, str]:
    """An ``unknown`` message by the gateway's ``verdict`` (the delivery rule above): the transition, the
    attempt's settled outcome and its note. ``delivered`` / ``failed`` are final; ``no_record`` is due again now."""
    if verdict == "delivered":
        return (_final(MessageState.DELIVERED, now, reported=True), AttemptOutcome.DELIVERED,
                "confirmed by the gateway's status query")
    if verdict == "failed":
        return (_final(MessageState.FAILED, now, reported=True), AttemptOutcome.REJECTED,
                "failed, says the gateway's status query")
    return (Transition(MessageState.RETRY_WAIT, now, None, "resend"), AttemptOutcome.UNAVAILABLE,
            "not received, says the gateway")
