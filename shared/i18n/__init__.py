"""One message catalogue for everything a person reads (issue 19, X6): gettext catalogues in ``locale/`` beside
this file, Simplified Chinese (``zh_CN``) by default, English (``en``) on request.

The ``.po`` files are the source and the only thing kept: each is compiled in memory the first time its locale is
asked for (no ``.mo`` to keep in step). Machine names stay as they are; what a person reads is looked up by them,
each kind in its own gettext context:

- ``error``: a field error's text by its ``code``, or by ``<field pattern>:<code>`` where one field needs its own
  sentence (list indices written ``*``: ``websites.*.domains:required``); ``{field}`` is the field's label,
  ``{rule}`` the rule, and any other placeholder comes from the error's ``params``;
- ``field``: a field's label by its path (``sponsor.name``, ``websites.*.name``);
- ``enum``: the Chinese name of a code by ``<kind>.<value>`` (``unit_type.enterprise``, ``state.precheck_passed``);
- ``message``: any other sentence a service or page says by key (``message(key, locale, **params)``); an error
  answer's own sentence is ``error.<code>`` (``error.validation_failed``).

Every service's API answers are read through :func:`localise_error` (error bodies, by the HTTP layer) and
:func:`localise_answer` (field errors inside an answer: a draft's ``problems``, a decision's ``reasons``) in the
locale :func:`negotiate` picks from the request's ``Accept-Language``; codes, fields and rules stay as they are.

Template text uses plain ``gettext`` with the English sentence as its id (Jinja2's ``i18n`` extension through
:func:`translations`). ``negotiate(accept_language)`` picks the locale for a request: the first language tag the
caller prefers that we have, ``zh_CN`` when it names none (what the issue asks of every service's answers).
"""
from __future__ import annotations

import io
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
DOMAIN = "messages"
CJK_FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
"""The Chinese font drawn into charts and PDFs: Debian's ``fonts-wqy-zenhei`` (bin/setup, the Dockerfile)."""
BEIJING = ZoneInfo("Asia/Shanghai")  # design.md §6: every time shown to a person is Beijing time

_INDEX = re.compile(r"\.\d+(?=\.|$)")
_TAG = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


@cache
def translations(locale: str = DEFAULT_LOCALE) -> Translations:
    """The compiled catalogue of ``locale`` (one of :data:`LOCALES`; anything else gets the default's)."""
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate(accept_language: str | None) -> str:
    """The locale to answer in for an ``Accept-Language`` header (RFC 9110 §12.5.4): the caller's most preferred
    language we have (``zh``, ``zh-CN``, ``zh-Hans`` -> ``zh_CN``; ``en``, ``en-GB`` -> ``en``), else
    :data:`DEFAULT_LOCALE`."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        match = _TAG.match(part)
        if not match:
            continue
        try:
            quality = float(match[2]) if match[2] is not None else 1.0
        except ValueError:
            continue
        if quality > 0:
            ranked.append((-quality, position, match[1].lower()))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if primary == "zh":
            return "zh_CN"
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def _lookup(context: str, key: str, locale: str) -> str | None:
    text = translations(locale).pgettext(context, key)
    return None if text == key else text


def message(key: str, locale: str = DEFAULT_LOCALE, **params) -> str:
    """The sentence ``key`` (context ``message``) in ``locale``, ``{name}`` placeholders filled from ``params``;
    the English one when ``locale`` lacks it; ``key`` itself when no catalogue has it."""
    text = _lookup("message", key, locale) or _lookup("message", key, "en") or key
    return text.format(**params) if params else text


def field_pattern(field: str) -> str:
    """``websites.0.domains.1`` -> ``websites.*.domains.*``: the catalogue's key for every element of a list."""
    return _INDEX.sub(".*", field)


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # a sentence never fails for a parameter its error did not carry


def error_text(error: dict, locale: str = DEFAULT_LOCALE) -> str:
    """What a person reads for a field error ``{field, code, message, rule[, params]}``: the catalogue's sentence
    for the field and code, or for the code alone; the service's own ``message`` when the catalogue has neither."""
    field, code = error.get("field") or "", error.get("code") or ""
    params = _Params(error.get("params") or {}, field=label(field, locale), rule=error.get("rule") or "")
    for key in (f"{field_pattern(field)}:{code}", code):
        text = _lookup("error", key, locale)
        if text:
            return text.format_map(params)
    return error.get("message") or code


def _is_field_error(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("field"), str) and isinstance(value.get("code"), str) \
        and isinstance(value.get("message"), str)


def localise_answer(value, locale: str = DEFAULT_LOCALE):
    """A JSON answer with the ``message`` of every field error in it (any dict with string ``field``, ``code``
    and ``message``, at any depth) read in ``locale`` by :func:`error_text`; everything else as it was. Returns
    a copy: the answer given may be a constant or a stored idempotent answer."""
    if isinstance(value, list):
        return [localise_answer(item, locale) for item in value]
    if not isinstance(value, dict):
        return value
    localised = {key: localise_answer(item, locale) for key, item in value.items()}
    if _is_field_error(value):
        localised["message"] = error_text(value, locale)
    return localised


def localise_error(body: dict, locale: str = DEFAULT_LOCALE) -> dict:
    """An error answer ``{"error": {code, message, errors}}`` in ``locale``: each field error by
    :func:`error_text`; the answer's own ``message`` is its one field error's sentence, or ``error.<code>`` when
    it lists none or several (the service's text when the catalogue lacks that code)."""
    error = body.get("error") or {}
    errors = localise_answer(list(error.get("errors") or []), locale)
    code = error.get("code") or ""
    if len(errors) == 1:
        text = errors[0]["message"]
    else:
        text = _lookup("message", f"error.{code}", locale) or error.get("message") or code
    return {**body, "error": {**error, "message": text, "errors": errors}}


def label(field: str, locale: str = DEFAULT_LOCALE) -> str:
    """A field's label by its path (list indices ignored); the path itself when the catalogue lacks it."""
    return _lookup("field", field_pattern(field), locale) or field


def enum_name(kind: str, value: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """The name a person reads for the machine code ``value`` of ``kind`` (``unit_type``, ``document_type``,
    ``state``, ...); the code itself when the catalogue lacks it."""
    if value is None:
        return ""
    return _lookup("enum", f"{kind}.{value}", locale) or str(value)


def beijing(moment: str | datetime | None, with_seconds: bool = False) -> str:
    """An instant (ISO 8601 text or an aware datetime) as Beijing wall time, ``2026-12-01 11:28``; a naive value
    is taken as UTC (what the services store)."""
    if not moment:
        return ""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")
