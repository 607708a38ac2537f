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

from datetime import datetime

from babel.numbers import format_decimal
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.i18n import TranslationString

from ...i18n import Formatter
from ...resources import template
from ...security import ADMIN, TEAM_ADMIN
from ...services.errors import Detail, ServiceError

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

#: The msgid of each error code (see :class:`plantao.services.errors.Detail`);
#: an error's ``params`` fill the msgid's ``${...}``.  A code not listed here,
#: or no code at all, is shown through the generic "Invalid value" text with
#: the English message.
MESSAGES_BY_CODE: dict[str, str] = {
    # JSON Schema keywords (plantao.services.validation).
    "required": "This field is required.",
    "too_short": "This field is required.",
    "unknown_field": "Unknown field.",
    "type.integer": "Enter a number.",
    "type.number": "Enter a number.",
    "type.boolean": "Choose yes or no.",
    "type": "This value has the wrong type.",
    "enum": "Choose one of: ${options}.",
    "too_long": "This value is too long.",
    "single_line": "Write it on one line, without line breaks or control characters.",
    "minimum": "Must be at least ${limit}.",
    "maximum": "Must be at most ${limit}.",
    "pattern": "This value is not in the expected format.",
    "unique_items": "The same value is chosen twice.",
    # Values the services read themselves.
    "phone": "Enter a valid phone number with its area code, e.g. (11) 91234-5678 or +55 11 91234-5678.",
    "timezone": "Unknown time zone.",
    "datetime": "Enter a valid date and time.",
    "datetime.empty": "Enter a valid date and time.",
    "date_out_of_range": "This date is too far in the past or the future.",
    "not_a_date": "Enter dates as YYYY-MM-DD.",
    "date_twice": "This date is listed twice.",
    "after_start": "Must be after the start.",
    "unknown_person": "There is no person with id ${id}.",
    "deactivated": "${name} is deactivated.",
    "times_together": "Fill in both the start and the end time, or neither.",
    "times_differ": "The start and end times must differ.",
    "weekday_required": "Choose at least one weekday.",
    "unknown_policy": "Unknown rotation policy.",
    "unknown_rule": "Unknown scheduling rule.",
    "business_hours": "Business hours must end after they start.",
    "rule_incompatible": "The ${policy} policy already does what this rule does: remove the rule.",
    "fair_pattern": "With several handoff times, each shift lasts one day: set days per shift to 1.",
    "masked_secret": "Type the secret itself: there is none stored to keep.",
    "channel_not_configured": "Save and enable this channel before testing it.",
    "no_destination": "Nowhere to send it: the channel has no team-wide destination, "
    "or that person has no address on it.",
    "unknown_channel": "Choose among the channels listed.",
    "past_only.ended": "This has already ended: the past is kept as it happened, so nothing was changed.",
    "past_only.before_next_minute": "This ends before the next whole minute, when a change already under way takes "
    "effect: it would only change the past, so nothing was changed.",
    # Whole-request errors (Conflict and Invalid without details).
    "slug_taken": "A team with this address already exists.",
    "leave_overlaps": "This leave overlaps another leave of the same person.",
    "same_person_swap": "Both shifts belong to the same person; there is nothing to swap.",
    "roster_uncomputable": "The roster cannot be computed: ${detail}",
    "delivery.not_retryable": "Delivery ${id} was not retried: only failed or waiting deliveries can be.",
    "removed_meanwhile": "What you were changing was just removed in another request; nothing was saved.",
    # A team's and a rotation's own checks, next to their fields.
    "reserved_slug": "This address is reserved; choose another.",
    "holidays.region": "Holidays of this country or state are not known.",
    "rotation.date_locked": "These cannot change from a date: ${fields}. Leave the date the change applies from "
    "empty, or create a new rotation starting then.",
    # What a form names (an id picked from a list) that is gone.
    "not_found.person": "There is no person with id ${id}.",
    "not_found.team": "There is no team with the address ${slug}.",
    "not_found.rotation": "This team has no rotation with id ${id}.",
    "not_found.override": "This team has no override with id ${id}.",
    "not_found.shift": "This team has no shift with id ${id}.",
    "not_found.leave": "This person has no leave with id ${id}.",
    "not_found.delivery": "There is no delivery with id ${id}.",
    "not_found.channel": "There is no notification channel ${name}.",
    "not_found.channel_config": "This channel is not configured for this team.",
    # Accounts and API tokens.
    "weak_password": "This password is too weak: choose one of at least 12 characters that is not a common one.",
    "duplicate_email": "An account with this e-mail already exists.",
    "teams_required": "A team admin needs at least one team.",
    "teams_not_allowed": "Only a team admin has teams.",
    "unknown_team": "There is no team with the address ${slug}.",
    "datetime.offset": "Enter a valid date and time.",
    "not_in_future": "Must be in the future.",
    "not_found.account": "There is no such account.",
    "not_found.token": "There is no live API token with id ${id}.",
    "not_found.request": "This team has no request with id ${id}.",
    "request.not_open": "Request ${id} is no longer open.",
    "request.not_awaiting_approval": "Request ${id} is not waiting for approval.",
    "request.not_requester": "Only the requester cancels a request.",
    "request.person_required": "Say who acts for the request.",
    "request.own": "A requester cannot take their own request.",
    "request.not_offered": "Only the colleague the swap names accepts it.",
    "request.not_eligible": "This person may not take it: the rotation's rules, their leave or another shift stand in the way.",
    "request.not_own_shift": "This shift is not the requester's.",
    "request.outside_shift": "The part asked about must lie within the shift.",
    "request.started": "This time has already started: ask about the part still ahead.",
    "request.overlap": "The colleague's shift overlaps the time asked about.",
    "request.cover_with_shift": "Only a swap names a colleague's shift.",
    "request.duplicate": "Request ${id} already asks about this time; cancel it first.",
    "invalid.request_status": "Unknown request status.",
    "request.moved": "Request ${id} has changed since you read it: look at it again.",
    # The fairness report's period.
    "interval.order": "The end must be after the start.",
    "fairness.too_long": "The period may cover at most ${years} years.",
    # The monthly on-call hours report.
    "month": "Choose a month as YYYY-MM (e.g. 2026-11).",
    "month_closed": "The month ${month} is closed already.",
    "month_open": "The month ${month} has not ended yet: close it once it is over.",
    "hourly_rate.decimals": "The hourly rate takes at most 2 decimals.",
}


def translate_error(_, code: str | None, params: dict | None, message: str) -> str:
    """The user's words for an error ``code`` with its ``params``; ``message`` when the code is unknown."""
    msgid = MESSAGES_BY_CODE.get(code or "")
    if msgid is None:
        return _("Invalid value (${detail}).", detail=message)
    return _(msgid, **(params or {}))


def form_errors(_, error: ServiceError) -> tuple[dict[str, list[str]], list[str]]:
    """A service error as (messages by body field, messages for the whole form)."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    details = error.details
    if isinstance(details, dict) and "field" in details:
        # One field named, the error itself saying what is wrong with it.
        details = [Detail(details["field"], error.message, error.code, error.params)]
    if isinstance(details, list) and details:
        for detail in details:
            field = detail.get("field", "")
            # A detail built as a plain dict has no code: it is shown as its message.
            text = translate_error(_, getattr(detail, "code", None), getattr(detail, "params", None),
                                   detail.get("message", ""))
            if field == "(body)" or not field:
                general.append(text)
            else:
                fields.setdefault(field, []).append(text)
    else:
        general.append(translate_error(_, error.code, error.params, error.message))
    return fields, general


# -- the base of every admin view ---------------------------------------------


class AdminView:
    """What every admin page needs: translations, layout values (services come from ``request.find_service``)."""

    #: The nav entry highlighted on this view's pages.
    section = ""

    def __init__(self, request):
        self.request = request
        self._ = Translator(request)
        self.lang = language(request)

    def page(self, **values) -> dict:
        """The values every admin template uses, plus the view's own."""
        request = self.request
        identity = request.plantao_identity or {}
        role = identity.get("role")
        owner = role == ADMIN
        return {
            "_": self._,
            "lang": self.lang,
            "section": self.section,
            "csrf_token": get_csrf_token(request),
            "flashes": request.session.pop_flash("admin"),
            "logged_in": role in (ADMIN, TEAM_ADMIN),
            # A team admin's panel is their teams': the other sections are an owner's.
            "own_teams": sorted(identity["teams"]) if role == TEAM_ADMIN else None,
            # Accounts and tokens are the built-in owner's and owner accounts' (permission ``accounts``).
            "manages_accounts": owner and bool(request.has_permission("accounts")),
            "when": self.when,
            "weekday_names": self.weekday_names(),
            "errors": {},
            "general_errors": [],
            **values,
        }

    def panel_role(self) -> str:
        """Who uses a page an owner and team admins share (see :func:`panel_role`)."""
        return panel_role(self.request)

    def when(self, moment: datetime | None, tz: str | None = None) -> str:
        """A date-time in the team's (or the instance's) zone, the way the reader writes it."""
        if moment is None:
            return ""
        return Formatter(self.request.locale_name, tz or self.request.plantao_settings.timezone).datetime(moment)

    def number(self, value, places: str = "0.##") -> str:
        """A figure the way the reader writes numbers (a decimal comma in Portuguese);
        ``places`` "0.00" keeps two decimals (hours, money)."""
        return format_decimal(value, format=f"#,##{places}", locale=self.request.locale_name)

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


def panel_role(request) -> str:
    """``ADMIN`` or ``TEAM_ADMIN``: who opens a panel page that owners and team admins share.

    Such a page's view asks for ``view`` only, so that a team admin reaches
    it; this is its real check.  ``ADMIN`` when the request holds ``admin`` on
    the page's route (an owner's, the route naming no team), ``TEAM_ADMIN``
    for a team admin's session, which the page then limits to their teams;
    anybody else (a viewer, a token, nobody) is refused as ``admin`` would
    have refused them.
    """
    if request.has_permission("admin"):
        return ADMIN
    identity = request.plantao_identity or {}
    if identity.get("role") == TEAM_ADMIN:
        return TEAM_ADMIN
    raise HTTPForbidden("Only an owner, or a team admin for their teams, may use this page.")
