"""The admin panel: HTML forms over the same services as the JSON API.

Every view here parses a form into the body the JSON API accepts, calls the
same service, and renders.  A service's :class:`Invalid` or :class:`Conflict`
re-renders the form with each detail next to its field, translated, and the
transaction is doomed so nothing is saved.  Pages and API cannot disagree,
because there is only one implementation of every write.

Strings go through Pyramid's localizer in the ``plantao_admin`` domain;
msgids are English, and ``plantao/locale/pt_BR/LC_MESSAGES/plantao_admin.po``
translates every one (a test checks that).
"""

from __future__ import annotations

import re
from datetime import datetime

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationString

from ...i18n import Formatter
from ...resources import template
from ...services.errors import ServiceError
from ..api import service_context

DOMAIN = "plantao_admin"

#: Weekday names, Monday first (the engine's 0 = Monday).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def admin_template(name: str) -> str:
    return template(f"admin/{name}")


def language(request) -> str:
    """``pt-BR`` or ``en``: the key of plugins' title and description dicts."""
    name = (request.localizer.locale_name or "").replace("_", "-").lower()
    return "en" if name.startswith("en") else "pt-BR"


class Translator:
    """``_("Saved ${name}.", name=...)``: a msgid of this domain, translated now."""

    def __init__(self, request):
        self.localizer = request.localizer

    def __call__(self, msgid: str, **mapping) -> str:
        return self.localizer.translate(TranslationString(msgid, domain=DOMAIN, mapping=mapping or None))


def localized(value: dict | str | None, lang: str) -> str:
    """A plugin's ``{"pt-BR": ..., "en": ...}`` text in ``lang`` (either one as a fallback)."""
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or value.get("pt-BR") or next(iter(value.values()), "")
    return value or ""


# -- service errors in the user's words --------------------------------------

#: Messages of the validators (plantao.services.validation and the services'
#: own checks) and their translatable counterparts.  A message not listed here
#: is shown through the generic "Invalid value" text with the original detail.
_MESSAGES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"ended at .*it would only change the past"), "This has already ended: the past is kept as it happened, so nothing was changed."),
    (re.compile(r"before the next whole minute .*it would only change the past"), "This ends before the next whole minute, when a change already under way takes effect: it would only change the past, so nothing was changed."),
    (re.compile(r"^is required$"), "This field is required."),
    (re.compile(r"^is not a known field$"), "Unknown field."),
    (re.compile(r"^must be of type (integer|number)\b"), "Enter a number."),
    (re.compile(r"^must be of type boolean\b"), "Choose yes or no."),
    (re.compile(r"^must be of type\b"), "This value has the wrong type."),
    (re.compile(r"^must be one of (?P<options>.*)$"), "Choose one of: ${options}."),
    (re.compile(r"should be non-empty$|is too short$"), "This field is required."),
    (re.compile(r"is too long$"), "This value is too long."),
    (re.compile(r"is less than the minimum of (?P<limit>\S+)$"), "Must be at least ${limit}."),
    (re.compile(r"is greater than the maximum of (?P<limit>\S+)$"), "Must be at most ${limit}."),
    (re.compile(r"does not match "), "This value is not in the expected format."),
    (re.compile(r"is not a (valid )?phone number"), "Enter a valid phone number with its area code, e.g. (11) 91234-5678 or +55 11 91234-5678."),
    (re.compile(r"has non-unique elements$"), "The same value is chosen twice."),
    (re.compile(r"^no person with id (?P<id>\d+)$"), "There is no person with id ${id}."),
    (re.compile(r"^must be after start$"), "Must be after the start."),
    (re.compile(r"^(?P<name>.+) is deactivated$"), "${name} is deactivated."),
    (re.compile(r"is not a known IANA time zone$"), "Unknown time zone."),
    (re.compile(r"is not an ISO 8601 date"), "Enter a valid date and time."),
    (re.compile(r"is outside the years"), "This date is too far in the past or the future."),
    (re.compile(r"^start_time and end_time go together$"), "Fill in both the start and the end time, or neither."),
    (re.compile(r"^start_time and end_time must differ$"), "The start and end times must differ."),
    (re.compile(r"^must name at least one weekday$"), "Choose at least one weekday."),
    (re.compile(r"^unknown policy\b"), "Unknown rotation policy."),
    (re.compile(r"^unknown rule\b"), "Unknown scheduling rule."),
    (re.compile(r"is listed twice$"), "This date is listed twice."),
    (re.compile(r"is not a date$"), "Enter dates as YYYY-MM-DD."),
    (re.compile(r"business_end must be after business_start"), "Business hours must end after they start."),
    (re.compile(r"send the secret itself, not a masked value"), "Type the secret itself: there is none stored to keep."),
    (re.compile(r"is not configured \(or is disabled\) for team"), "Save and enable this channel before testing it."),
    (re.compile(r"^This channel has no destination for that recipient"),
     "Nowhere to send it: the channel has no team-wide destination, or that person has no address on it."),
    (re.compile(r"^events: unknown channel"), "Choose among the channels listed."),
    # Whole-request messages (Conflict and Invalid without details).
    (re.compile(r"^A team with slug .* already exists\.$"), "A team with this address already exists."),
    (re.compile(r"^This leave overlaps leave"), "This leave overlaps another leave of the same person."),
    (re.compile(r"^Both shifts belong to the same person"), "Both shifts belong to the same person; there is nothing to swap."),
    (re.compile(r"^The roster cannot be computed: (?P<detail>.*)$"), "The roster cannot be computed: ${detail}"),
]


def translate_message(_, message: str) -> str:
    for pattern, msgid in _MESSAGES:
        match = pattern.search(message)
        if match:
            return _(msgid, **match.groupdict())
    return _("Invalid value (${detail}).", detail=message)


def form_errors(_, error: ServiceError) -> tuple[dict[str, list[str]], list[str]]:
    """A service error as (messages by body field, messages for the whole form)."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    details = error.details
    if isinstance(details, dict) and "field" in details:
        details = [{"field": details["field"], "message": error.message}]
    if isinstance(details, list) and details:
        for detail in details:
            field, message = detail.get("field", ""), detail.get("message", "")
            if field == "(body)" or not field:
                general.append(translate_message(_, message))
            elif message == error.message:
                fields.setdefault(field, []).append(translate_message(_, message))
            else:
                fields.setdefault(field, []).append(translate_message(_, message))
    else:
        general.append(translate_message(_, error.message))
    return fields, general


# -- the base of every admin view ---------------------------------------------


class AdminView:
    """What every admin page needs: services' context, translations, layout values."""

    #: The nav entry highlighted on this view's pages.
    section = ""

    def __init__(self, request):
        self.request = request
        self._ = Translator(request)
        self.lang = language(request)
        self.ctx = service_context(request)

    def page(self, **values) -> dict:
        """The values every admin template uses, plus the view's own."""
        request = self.request
        return {
            "_": self._,
            "lang": self.lang,
            "section": self.section,
            "csrf_token": get_csrf_token(request),
            "flashes": request.session.pop_flash("admin"),
            "logged_in": bool(request.plantao_identity and request.plantao_identity.get("role") == "admin"),
            "when": self.when,
            "weekday_names": self.weekday_names(),
            "errors": {},
            "general_errors": [],
            **values,
        }

    def when(self, moment: datetime | None, tz: str | None = None) -> str:
        """A date-time in the team's (or the instance's) zone, the way the reader writes it."""
        if moment is None:
            return ""
        return Formatter(self.request.locale_name, tz or self.request.plantao_settings.timezone).datetime(moment)

    def weekday_names(self) -> list[str]:
        return [self._(day) for day in WEEKDAYS]

    def flash(self, message: str) -> None:
        self.request.session.flash(message, "admin")

    def redirect(self, route: str, **kw) -> HTTPSeeOther:
        return HTTPSeeOther(self.request.route_url(route, **kw))

    def flash_failure(self, error: ServiceError) -> None:
        """Nothing of this request is saved; its translated reasons are flashed for the next page."""
        self.request.tm.doom()
        errors, general = form_errors(self._, error)
        for message in general + [message for messages in errors.values() for message in messages]:
            self.flash(message)

    def failed(self, error: ServiceError) -> tuple[dict, list]:
        """Nothing of this request is saved; the error's details, translated."""
        self.request.tm.doom()
        self.request.response.status = 422 if error.status in (400, 422) else error.status
        return form_errors(self._, error)
