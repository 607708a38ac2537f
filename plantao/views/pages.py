"""The public pages: who is on call now, a team's month, a person's shifts.

A person's page opened with their action link (``?token=`` with their
``action_token``), or by an account linked to them, also carries their own
notification preferences form (parsed as in ``views/preferences.py``).  Their
feed link (``?token=`` with their ``feed_token``) used to do that; it still
does, with a notice, until ``FEED_LINK_PREFERENCES_UNTIL``, and then opens
what any reader sees: calendar services store feed links, so a feed link
must end up only reading.  Links on the page never carry the action token
into a feed's address.

Views stay thin: they read the request, ask the same services the JSON API
asks (so a page and the API never disagree), and decide what this reader
may see.  Phones are personal data: who sees which contact is decided by
the one rule of :mod:`plantao.services.contacts`, as for the API (an
anonymous visitor sees the phone and chat handles of whoever is on call now
and next, never an email; a logged-in reader or a person's own link, every
contact).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from babel.dates import format_date
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..datetimes import utcnow, zone
from ..read_model import ReadModel
from ..i18n import COOKIE, COOKIE_MAX_AGE, LANGUAGES, Formatter, countdown, safe_next, translate
from ..models import Person
from ..models.request import LIVE_STATUSES
from ..resources import STATIC_DIR, template
from ..role_labels import role_label
from ..routes import public_route_url
from ..services.month import CalendarService, first_of_month
from ..services.errors import BadRequest, Invalid, NotFound
from ..services.notification_settings import NotificationService
from ..services.oncall import OnCallService, RosterCache, ShiftView, TeamOnCall
from ..services.people import PersonService, feed_link_opens_preferences
from ..services.requests import STATUS_TITLES, RequestService
from ..services.timeline import ZOOMS, TimelineService, Window, default_window, initials, parse_window
from ..security import ADMIN, PERSON
from ..spreadsheets import dialect_for_language
from ..services.contacts import FULL_CONTACTS, OnDuty, ReaderContacts, display_phone, phone_uri
from .admin import localized
from .api import contacts as request_contacts
from .preferences import (
    error_keys, form_values, personal_channels, preferences_body, preferences_matrix,
)
from .requests import KIND_LABELS, acting_as
from .services import shared

#: Distinct person colours in the stylesheet (``.person-0`` ... ``.person-7``).
PALETTE_SIZE = 8
#: The days of the home page strip.
STRIP_DAYS = 7
#: The export routes of the iCalendar feeds (plantao/views/api/feeds.py).
TEAM_FEED_ROUTE = "api.team.export"
PERSON_FEED_ROUTE = "api.person.export"

#: The session flash queue of the person's own preferences form.
PREFERENCES_FLASH = "preferences"
#: The longest team search the home page reads: far longer than any team's
#: name, and short enough that a pasted essay is cut, not matched.
SEARCH_MAX = 100

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# -- Around every page ------------------------------------------------------------


def _asset_versions() -> dict[str, str]:
    """A short hash of each static file: a new release changes its URL, so the
    long browser cache of static files never serves a stale stylesheet."""
    versions = {}
    for path in STATIC_DIR.iterdir():
        if path.is_file():
            versions[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return versions


ASSET_VERSIONS = _asset_versions()


def route_exists(request, name: str) -> bool:
    return request.registry.getUtility(IRoutesMapper).get_route(name) is not None


class PageChrome:
    """What the layout needs on every page, built from the request alone."""

    def __init__(self, request):
        self.request = request

    def asset(self, name: str) -> str:
        return self.request.static_url(f"plantao:static/{name}", _query={"v": ASSET_VERSIONS.get(name, "0")})

    @property
    def languages(self) -> list[dict]:
        here = self.request.path_qs
        return [
            {
                "code": code,
                "label": label,
                "short": code.split("_")[0].upper(),
                "url": self.request.route_path("language", code=code, _query={"next": here}),
                "current": code == self.request.locale_name,
            }
            for code, label in LANGUAGES.items()
        ]

    @property
    def logged_in(self) -> str | None:
        identity = self.request.plantao_identity
        return identity["role"] if identity else None

    @property
    def admin_url(self) -> str:
        return "/admin/"

    @property
    def stale_since(self) -> str | None:
        """When the roster shown was last known current ("14:02"), while the database is unreachable."""
        read_model = shared(self.request, ReadModel)
        if read_model.stale_seconds() is None or read_model.checked_wall is None:
            return None
        local = read_model.checked_wall.astimezone(zone(self.request.plantao_settings.timezone))
        if utcnow() - read_model.checked_wall >= timedelta(hours=20):
            return local.strftime("%d/%m %H:%M")
        return local.strftime("%H:%M")


@subscriber(BeforeRender)
def page_globals(event):
    """Give every template the page chrome and ``_`` (domain ``plantao``)."""
    request = event.get("request")
    if request is None or not str(event.get("renderer_name", "")).endswith(".pt"):
        return
    event.setdefault("ui", PageChrome(request))
    event.setdefault("_", lambda msgid, **mapping: translate(request, msgid, **mapping))
    event.setdefault("role_label", lambda role: role_label(role, request.locale_name, capitalized=True))
    event.setdefault("initials", initials)


# -- Contacts ---------------------------------------------------------------------


@dataclass
class ContactCard:
    """The contacts of one person this reader may see."""

    phone: str | None = None
    email: str | None = None
    chats: list[dict] = field(default_factory=list)
    #: The ``tel:`` link of the phone, in E.164.
    tel: str | None = None

    def __bool__(self) -> bool:
        return bool(self.phone or self.email or self.chats)


def contact_card(person, contacts: ReaderContacts, team_id: int | None = None, role: str | None = None) -> ContactCard:
    """What ``contacts`` (the reader's, see :mod:`plantao.services.contacts`) shows of ``person``."""
    shown = contacts.shown(person, team_id=team_id, role=role)
    card = ContactCard(email=shown.email)
    if shown.phone:
        card.phone, card.tel = display_phone(shown.phone), phone_uri(shown.phone)
    handles = dict(shown.chat)
    if shown.telegram_chat_id and "telegram" not in handles:
        handles["telegram"] = shown.telegram_chat_id
    for network, handle in sorted(handles.items()):
        card.chats.append({"network": network.title(), "handle": handle, "href": chat_link(network, handle)})
    return card


def chat_link(network: str, handle: str) -> str | None:
    """A link that opens the conversation, for the networks where we know one."""
    network = network.lower()
    if network == "whatsapp":
        digits = re.sub(r"\D", "", handle)
        return f"https://wa.me/{digits}" if digits else None
    if network == "telegram" and not re.fullmatch(r"-?\d+", handle):
        return "https://t.me/" + quote(handle.lstrip("@"))
    if network == "email" and "@" in handle:
        return "mailto:" + handle
    return None


def person_class(person_id: int) -> str:
    return f"person-{person_id % PALETTE_SIZE}"


# -- Feeds ------------------------------------------------------------------------


def is_admin(request) -> bool:
    return (request.plantao_identity or {}).get("role") == ADMIN


def feed_links(request, team=None, person=None, own_link: bool = False, csv_query: dict | None = None) -> dict | None:
    """``{"https": ..., "webcal": ..., "csv": ...}`` of a team's or a person's feed.

    ``https`` and ``webcal`` are the iCalendar feed; ``csv`` downloads the
    same shifts (narrowed by ``csv_query``) as a spreadsheet in the dialect
    of the reader's language, so Brazilian Excel opens it in columns.
    ``None`` while the export routes do not exist.  On a private roster the
    links carry the feed's secret token, so calendar applications (which
    cannot log in) can still read it; never the person's action token.
    """
    if team is not None:
        route, params, token = TEAM_FEED_ROUTE, {"slug": team.slug}, team.feed_token
    elif person is not None:
        route, params, token = PERSON_FEED_ROUTE, {"id": str(person.id)}, person.feed_token
    else:
        raise TypeError("feed_links needs a team or a person")
    if not route_exists(request, route):
        return None
    private = not request.plantao_settings.public_roster
    if person is not None and not own_link and not is_admin(request):
        # A person's feed token opens their whole feed (and, until
        # FEED_LINK_PREFERENCES_UNTIL, their preferences): only they and admins
        # get it; a viewer's link works with the viewer's login.
        private = False
    query = {"token": token} if private else {}
    https = public_route_url(request, route, format="ics", _query=query, **params)
    links = {"https": https, "webcal": "webcal://" + https.split("://", 1)[1], "csv": None}
    if "csv" in request.plugins.export_formats:
        csv_params = {**query, **(csv_query or {}), "dialect": dialect_for_language(request.locale_name)}
        links["csv"] = public_route_url(request, route, format="csv", _query=csv_params, **params)
    return links


# -- Shared pieces ----------------------------------------------------------------


@dataclass
class Holder:
    shift: ShiftView
    contacts: ContactCard
    css: str
    start: str
    end: str


def now_and_next(request, state: TeamOnCall, fmt: Formatter) -> dict:
    """Who holds each role now and who takes over, with what this reader may see."""
    # Everybody shown here is on call now or next: no other read needed.
    contacts = ReaderContacts(
        request_contacts(request).policy, on_duty=OnDuty.of_shifts(state.team.id, [*state.current, *state.upcoming])
    )

    def holder(shift: ShiftView) -> Holder:
        return Holder(
            shift=shift,
            contacts=contact_card(shift.person, contacts, state.team.id, shift.role),
            css=person_class(shift.person.id),
            start=fmt.datetime(shift.start),
            end=fmt.datetime(shift.end),
        )

    handoff = state.next_handoff
    nexts = []
    for shift in state.current:
        following = state.next_for(shift)
        nexts.append(holder(following) if following else None)
    remaining = handoff.start - state.at if handoff else None
    return {
        "current": [(holder(shift), following) for shift, following in zip(state.current, nexts)],
        "gap_next": holder(handoff) if state.gap and handoff else None,
        "handoff": handoff,
        "handoff_iso": handoff.start.isoformat() if handoff else None,
        "handoff_at": fmt.datetime(handoff.start) if handoff else None,
        "countdown": countdown(remaining) if remaining is not None else None,
    }


def service_team(request, slug: str):
    try:
        return request.find_service(OnCallService).team(slug)
    except NotFound:
        raise HTTPNotFound() from None


# -- Pages ------------------------------------------------------------------------


def search_param(request) -> str:
    """The home page's team search (``?q=``), spaces tidied and cut to :data:`SEARCH_MAX` characters."""
    return " ".join(request.GET.get("q", "")[: SEARCH_MAX * 4].split())[:SEARCH_MAX]


def folded(text: str) -> str:
    """``text`` without case or accents, so "saude" finds "Saúde"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@view_config(route_name="home", request_method="GET", renderer=template("home.pt"), permission="view")
def home(request):
    """Every team's card, or those whose name or slug match ``?q=``.

    The search filters the roster already in memory (the home page is the
    hot read): no query is added, and the cards left out are never built.
    """
    service = request.find_service(OnCallService)
    calendar = request.find_service(CalendarService)
    query = search_param(request)
    words = folded(query).split()
    states = service.board()
    boards = []
    for state in states:
        team = state.team
        # Each word typed is somewhere in the name or the slug: "banco" or "dados banco".
        search_text = folded(f"{team.name} {team.slug}")
        if not all(word in search_text for word in words):
            continue
        fmt = Formatter(request.locale_name, team.timezone)
        today = fmt.local(state.at).date()
        strip = calendar.days(team, today, STRIP_DAYS)
        boards.append(
            {
                "team": team,
                "url": request.route_path("team", slug=team.slug),
                # What the search box filters on as one types (plantao.js).
                "search_text": search_text,
                "fmt": fmt,
                "state": state,
                **now_and_next(request, state, fmt),
                "strip": [
                    {
                        "day": cell.day,
                        "weekday": fmt.weekday(cell.day),
                        "label": fmt.day(cell.day),
                        "today": cell.day == today,
                        "people": _distinct_people(cell.shifts),
                    }
                    for cell in strip
                ],
            }
        )
    return {"boards": boards, "team_count": len(states), "q": query, "search_max": SEARCH_MAX}


def _distinct_people(shifts: list[ShiftView]) -> list[dict]:
    seen: dict[int, dict] = {}
    for shift in shifts:
        seen.setdefault(
            shift.person.id,
            {"id": shift.person.id, "name": shift.person.name, "css": person_class(shift.person.id),
             "override": shift.source == "override"},
        )
    return list(seen.values())


def month_param(request, today: date) -> date:
    match = _MONTH.match(request.params.get("month", ""))
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 1970 <= year <= 2200 and 1 <= month <= 12:
            return date(year, month, 1)
    return first_of_month(today)


def person_param(request) -> int | None:
    raw = request.params.get("person", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) < 2**31 else None


#: The team page's views (``?view=``): the month grid, the default, and the timeline.
TEAM_VIEWS = ("month", "timeline")


def view_param(request) -> str:
    """``?view=``; without it a ``zoom`` or ``from`` asks for the timeline.  Anything else is a 400."""
    view = request.params.get("view")
    if view is None:
        return "timeline" if "zoom" in request.params or "from" in request.params else "month"
    if view not in TEAM_VIEWS:
        raise BadRequest(f"view must be one of {', '.join(TEAM_VIEWS)}; got {view[:40]!r}.", code="team.view")
    return view


@view_config(route_name="team", request_method="GET", renderer=template("team.pt"), permission="view")
def team_page(request):
    team = service_team(request, request.matchdict["slug"])
    fmt = Formatter(request.locale_name, team.timezone)
    state = request.find_service(OnCallService).at(team)
    today = fmt.local(state.at).date()
    if view_param(request) == "timeline":
        return team_timeline(request, team, fmt, state, today)
    month = month_param(request, today)
    person_id = person_param(request)
    calendar = request.find_service(CalendarService).month(
        team, month, today=today, first_weekday=fmt.first_weekday, person_id=person_id,
        language=request.html_lang,
    )

    def month_url(value: date) -> str:
        query = {"month": value.strftime("%Y-%m")}
        if person_id:
            query["person"] = str(person_id)
        return request.route_path("team", slug=team.slug, _query=query)

    # The list view (small screens): each shift, leave and holiday of the
    # month once, in order, instead of a grid too narrow to read.
    agenda = [
        {"kind": "shift", "at": fmt.local(s.start), "shift": s, "css": person_class(s.person.id),
         "start": fmt.datetime(s.start), "end": fmt.datetime(s.end), "now": s.start <= state.at < s.end}
        for s in calendar.shifts
    ]
    agenda += [
        {"kind": "leave", "at": fmt.local(leave.start), "person": leave.person,
         "start": fmt.day(leave.start), "end": fmt.day(leave.end - timedelta(seconds=1))}
        for leave in calendar.leaves
    ]
    agenda += [
        {"kind": "holiday", "at": datetime.combine(cell.day, time(0), tzinfo=fmt.tz), "name": cell.holiday,
         "start": fmt.day(cell.day)}
        for week in calendar.weeks for cell in week if cell.in_month and cell.holiday
    ]
    agenda.sort(key=lambda item: (item["at"], item["kind"] != "holiday"))
    return {
        "team": team,
        "fmt": fmt,
        "state": state,
        **now_and_next(request, state, fmt),
        "calendar": calendar,
        "month_label": fmt.month(month),
        "weekday_names": fmt.weekday_names(),
        "previous_url": month_url(calendar.previous),
        "next_url": month_url(calendar.next),
        "today_url": month_url(first_of_month(today)),
        "is_current_month": month == first_of_month(today),
        "month_value": month.strftime("%Y-%m"),
        "person_id": person_id,
        "person_class": person_class,
        "agenda": agenda,
        # The spreadsheet link downloads the month on screen (and the person filtered).
        "feed": feed_links(request, team=team, csv_query={
            "start": month.isoformat(), "end": calendar.next.isoformat(),
            **({"person": str(person_id)} if person_id else {}),
        }),
        "tz_name": fmt.tz_name(state.at),
        "live_requests": team_requests(request, team, fmt),
        "view": "month",
        "timeline_url": request.route_path("team", slug=team.slug, _query=(
            {"view": "timeline"} if month == first_of_month(today) else {"view": "timeline", "from": month.isoformat()}
        )),
    }


def team_timeline(request, team, fmt: Formatter, state: TeamOnCall, today: date) -> dict:
    """The team page with the timeline (``?view=timeline``) in place of the month grid.

    ``?zoom=`` and ``?from=`` choose the window (:func:`parse_window`); the
    lanes come from :class:`TimelineService`, the final one from the roster
    in memory, the rotation layers from the engine, kept per team roster
    generation and window in the process-wide :class:`RosterCache`.
    """
    win = parse_window(request.params.get("zoom"), request.params.get("from"), today, fmt.first_weekday)
    timeline = request.find_service(TimelineService).timeline(
        team, win, now=state.at, today=today, cache=shared(request, RosterCache).kept,
    )

    def url(zoom: str, first: date | None = None) -> str:
        query = {"view": "timeline", "zoom": zoom}
        if first is not None:
            query["from"] = first.isoformat()
        return request.route_path("team", slug=team.slug, _query=query)

    return {
        "team": team,
        "fmt": fmt,
        "state": state,
        **now_and_next(request, state, fmt),
        "feed": feed_links(request, team=team, csv_query={
            "start": win.first.isoformat(), "end": win.following.isoformat(),
        }),
        "tz_name": fmt.tz_name(state.at),
        "live_requests": team_requests(request, team, fmt),
        "view": "timeline",
        "month_url": request.route_path("team", slug=team.slug, _query={"month": win.first.strftime("%Y-%m")}),
        "timeline": timeline,
        "person_class": person_class,
        **timeline_navigation(win, default_window(win.zoom, today, fmt.first_weekday), today, fmt, url),
    }


def timeline_navigation(win: Window, current: Window, today: date, fmt: Formatter,
                        url: Callable[..., str]) -> dict:
    """The title and links around a timeline showing ``win`` (``current`` is the window "Today"
    goes back to); ``url(zoom, first=None)`` is the page's address for a window."""
    if win.zoom == "day":
        title = fmt.long_day(win.first)
    elif win.zoom == "month":
        title = fmt.month(win.first)
    else:
        title = f"{fmt.day(win.first)} – {fmt.day(win.last)}"
    return {
        "timeline_title": title,
        "previous_url": url(win.zoom, win.previous()),
        "next_url": url(win.zoom, win.following),
        "today_url": None if win == current else url(win.zoom),
        # Another zoom keeps today in view when this window shows it, else where this window starts.
        "zooms": [
            {"zoom": zoom, "current": zoom == win.zoom,
             "url": url(zoom) if win.contains(today) else url(zoom, win.first)}
            for zoom in ZOOMS
        ],
    }


def team_requests(request, team, fmt: Formatter) -> list[dict]:
    """The team's live cover and swap requests, for whoever reads the team page.

    The page is a hot read: they come from the roster in memory (see
    :meth:`RequestService.live_of_team`).  Requests whose interval has
    started are left out (the keeper settles them as expired).
    """
    found = request.find_service(RequestService).live_of_team(team.id)
    return [
        {
            "id": item.id,
            "kind": translate(request, KIND_LABELS.get(item.kind, item.kind)),
            "role": item.role,
            "period": f"{fmt.datetime(item.start)} – {fmt.datetime(item.end)}",
            "requester": name,
            "with_person": with_name,
            "status": item.status,
            "status_label": translate(request, STATUS_TITLES.get(item.status, item.status)),
            "url": request.route_path("request", slug=team.slug, id=item.id),
        }
        for item, name, with_name in found
    ]


#: How a request opens a person's own page (:func:`own_access`).
ACTION_LINK = "action-link"
LINKED_ACCOUNT = "account"
FEED_LINK = "feed-link"


@dataclass(frozen=True)
class OwnAccess:
    """A request opening a person's own page, and how.

    ``kind`` is :data:`ACTION_LINK` (their action link), :data:`LINKED_ACCOUNT`
    (a login of an account linked to them) or :data:`FEED_LINK` (their feed
    link, the old personal link, until ``FEED_LINK_PREFERENCES_UNTIL``).
    ``token`` is what the page's own links and forms carry: the action token,
    the feed token for the old link (which must not hand out the action link:
    calendar services hold it), nothing for an account (its session is the
    credential).  ``until`` is the old link's last day.
    """

    kind: str
    token: str | None = None
    until: date | None = None

    def query(self) -> dict:
        return {"token": self.token} if self.token else {}


def feed_token_matches(person: Person, token: str | None) -> bool:
    if not token or not person.feed_token:
        return False
    return hmac.compare_digest(token.encode("utf-8"), person.feed_token.encode("utf-8"))


def own_access(request, person: Person) -> OwnAccess | None:
    """How this request opens ``person``'s own page and preferences, or None for any other reader.

    Their action link and an account linked to them always do; their feed
    link (the old personal link) only until FEED_LINK_PREFERENCES_UNTIL, a
    day in PLANTAO_TIMEZONE, and after it opens what any reader sees.
    """
    identity = request.plantao_identity or {}
    if identity.get("person") == person.id:
        if identity.get("role") == PERSON:
            return OwnAccess(ACTION_LINK, person.action_token)
        if identity.get("scheme") == "session":
            return OwnAccess(LINKED_ACCOUNT)
    settings = request.plantao_settings
    until = settings.feed_link_preferences_until
    token = request.params.get("token")
    if feed_token_matches(person, token):
        if feed_link_opens_preferences(until, utcnow().astimezone(zone(settings.timezone)).date()):
            return OwnAccess(FEED_LINK, person.feed_token, until)
    return None


def find_person(request) -> Person | None:
    person_id = int(request.matchdict["id"])
    return request.find_service(PersonService).find(person_id) if person_id < 2**31 else None


@view_config(route_name="person", request_method="GET", renderer=template("person.pt"))
def person_page(request):
    """Open to readers of the roster, and to the person's own action link or linked account."""
    person = find_person(request)
    own = own_access(request, person) if person is not None else None
    if own is None and not request.has_permission("view"):
        raise HTTPForbidden()
    if person is None:
        raise HTTPNotFound()
    return person_values(request, person, own)


def person_values(request, person: Person, own: OwnAccess | None, *, preferences: dict | None = None,
                  preference_errors: set[str] | None = None) -> dict:
    """What ``person.pt`` shows; opened as the person (``own``), the preferences form too."""
    moment = utcnow()
    upcoming = request.find_service(CalendarService).upcoming_for_person(person, moment)
    authenticated = request.plantao_identity is not None
    # The person's own page shows them every contact of theirs.
    contacts = ReaderContacts(FULL_CONTACTS) if own else request_contacts(request)
    asks = own is not None and own.kind in (ACTION_LINK, LINKED_ACCOUNT) and acting_as(request) == person.id
    lists = own_requests(request, person, own) if asks else None
    choices: dict[int, list] = {}
    rows = []
    for team, shift in upcoming:
        fmt = Formatter(request.locale_name, team.timezone)
        row = {
            "team": team,
            "team_url": request.route_path("team", slug=team.slug),
            "shift": shift,
            "day": fmt.day(shift.start),
            "start": fmt.datetime(shift.start),
            "end": fmt.datetime(shift.end),
            "now": shift.start <= moment < shift.end,
            "override": shift.source == "override",
            "ask": None,
        }
        if asks and shift.start > moment:
            if team.id not in choices:
                choices[team.id] = request.find_service(RequestService).swap_choices(team.id, person.id)
            row["ask"] = ask_forms(request, person, own, team, shift, fmt, choices[team.id], lists["mine"])
        rows.append(row)
    return {
        "person": person,
        "css": person_class(person.id),
        "rows": rows,
        "contacts": contact_card(person, contacts),
        # Feed links carry the feed token, never the action token (see feed_links).
        "feed": feed_links(request, person=person, own_link=own is not None)
        if (authenticated or own or request.plantao_settings.public_roster) else None,
        "own_link": own is not None,
        "old_link_until": old_link_notice(request, own),
        "prefs": own_preferences_form(request, person, own, preferences, preference_errors) if own else None,
        # Only the person themselves asks and answers: never through the old feed link.
        "requests": lists,
    }


def _local_input(fmt: Formatter, instant: datetime) -> str:
    """``instant`` as a ``datetime-local`` input writes it, in the team's zone."""
    return fmt.local(instant).strftime("%Y-%m-%dT%H:%M")


def ask_forms(request, person: Person, own: OwnAccess, team, shift: ShiftView, fmt: Formatter,
              choices: list, mine: list[dict]) -> dict:
    """What the cover and swap forms of one of the person's shifts carry.

    A live request of theirs already about this shift is linked instead (the
    service would refuse a second one).
    """
    asked = next((item for item in mine if item["live"] and item["team_id"] == team.id
                  and item["role"] == shift.role and item["start"] < shift.end and item["end"] > shift.start), None)
    return {
        "action": request.route_url("person.requests", id=person.id, _query=own.query()),
        "csrf_token": get_csrf_token(request),
        "shift_id": shift.id,
        "min": _local_input(fmt, shift.start),
        "max": _local_input(fmt, shift.end),
        "asked": asked,
        # Colleagues' shifts that do not overlap this one (the service refuses those).
        "choices": [
            {"id": shift_id,
             "label": f"{name}{'' if role == shift.role else ' · ' + role_label(role, str(fmt.locale), capitalized=True)}: "
                      f"{fmt.datetime(start)} – {fmt.datetime(end)}"}
            for shift_id, role, start, end, name in choices
            if not (start < shift.end and shift.start < end)
        ],
    }


def own_requests(request, person: Person, own: OwnAccess) -> dict:
    """The person's own requests (live, then the last closed) and the open ones they may take."""
    service = request.find_service(RequestService)
    mine = service.of_person(person.id)
    offers = service.offers_for(person.id)
    names = service.names([*mine, *offers])

    def summary(item) -> dict:
        fmt = Formatter(request.locale_name, item.team.timezone)
        return {
            "id": item.id,
            "team_id": item.team_id,
            "team": item.team.name,
            "kind": translate(request, KIND_LABELS.get(item.kind, item.kind)),
            "role": item.role,
            "start": item.start,
            "end": item.end,
            "period": f"{fmt.datetime(item.start)} – {fmt.datetime(item.end)}",
            "requester": names.get(item.requester_id, ""),
            "with_person": names.get(item.with_person_id) if item.with_person_id else None,
            "with_period": f"{fmt.datetime(item.with_start)} – {fmt.datetime(item.with_end)}"
            if item.kind == "swap" and item.with_start else None,
            "status": item.status,
            "status_label": translate(request, STATUS_TITLES.get(item.status, item.status)),
            "live": item.status in LIVE_STATUSES,
            "url": request.route_url("request", slug=item.team.slug, id=item.id, _query=own.query()),
        }

    return {"mine": [summary(item) for item in mine], "offers": [summary(item) for item in offers]}


def old_link_notice(request, own: OwnAccess | None) -> str | None:
    """The old link's last day, as the reader writes dates, when the page was opened with it."""
    if own is None or own.kind != FEED_LINK or own.until is None:
        return None
    return format_date(own.until, "short" if request.locale_name.startswith("pt") else "medium",
                       locale=request.locale_name)


def own_preferences_form(request, person: Person, own: OwnAccess, posted: dict | None,
                         errors: set[str] | None) -> dict:
    """The person's own notification preferences form: stored values, or what was just posted."""
    service = request.find_service(NotificationService)
    values = posted if posted is not None else service.preferences_json(person)
    channels = personal_channels(request.plugins)
    lang = "en" if request.locale_name.startswith("en") else "pt-BR"
    titles = {name: localized(request.plugins.channels[name].title, lang) for name in channels}
    return {
        "action": request.route_url("person.preferences", id=person.id, _query=own.query()),
        "csrf_token": get_csrf_token(request),
        "values": form_values(values),
        "channels": [(name, titles[name]) for name in channels],
        "matrix": preferences_matrix(values, channels),
        "errors": errors or set(),
        "flashes": request.session.pop_flash(PREFERENCES_FLASH),
    }


@view_config(
    route_name="person.preferences",
    request_method="POST",
    renderer=template("person.pt"),
    permission=NO_PERMISSION_REQUIRED,
)
def save_own_preferences(request):
    """The person's own preferences form: saved, or the page again saying what was not accepted.

    The action link (or the old feed link, until its last day) is the
    credential, and opens that one person only; a linked account's session is
    too.  Forms sent with a session also carry its CSRF token, checked like
    every POST.
    """
    person = find_person(request)
    own = own_access(request, person) if person is not None else None
    if own is None:
        # One answer for an unknown person and a wrong token: nothing is revealed.
        raise HTTPNotFound()
    body = preferences_body(request.POST, personal_channels(request.plugins), with_timezone=False)
    service = request.find_service(NotificationService)
    if own.kind != LINKED_ACCOUNT:
        # A link names nobody but the person: the audit log names them.
        service = service.through_own_link(person)
    try:
        service.put_preferences(person, body)
    except Invalid as error:
        request.tm.doom()
        request.response.status = 422
        return person_values(request, person, own, preferences=body, preference_errors=error_keys(error))
    request.session.flash(translate(request, "Your notification preferences are saved."), PREFERENCES_FLASH)
    return HTTPSeeOther(request.route_url("person", id=person.id, _query=own.query(), _anchor="preferences"))


@view_config(route_name="language", request_method="GET")
def choose_language(request):
    """Remember the visitor's language in a cookie and go back where they were."""
    code = request.matchdict["code"]
    if code not in LANGUAGES:
        raise HTTPNotFound()
    response = HTTPSeeOther(location=safe_next(request.params.get("next")))
    response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax", httponly=True)
    return response

