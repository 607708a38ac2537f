"""The pages of cover and swap requests: the one a notification links to, and a person's answers.

A request's page (``/teams/{slug}/requests/{id}``) says what is asked and,
while it is open, who may take it.  Opened with a person's action link
(``?token=``) or by an account linked to a person, it also carries the
buttons that person may use: **accept** when they are among the colleagues
offered it, **cancel** when it is theirs.  The buttons post to the person's
own routes (``/people/{id}/requests/...``), where the person in the URL must
be the one the credential names; the forms carry the session's CSRF token,
and the action link's token in their address (an action link's POST needs
no CSRF token: its secret is in the URL, see
:func:`plantao.security.needs_csrf_check`).

The views only parse and render: :class:`RequestService` decides, exactly
as for the JSON API.  A refusal re-renders the page with the reason in the
reader's language and the service error's status; nothing is saved.
"""

from __future__ import annotations

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..i18n import Formatter, translate
from ..models import ShiftRequest, Team
from ..models.request import LIVE_STATUSES
from ..resources import template
from ..security import PERSON, SESSION_COOKIE, VIEWER
from ..services.errors import Conflict, Invalid, NotFound, ServiceError
from ..services.requests import STATUS_TITLES, RequestService
from ..services.teams import TeamService
from ..services.validation import MAX_ID

#: The session flash queue of the request page.
REQUEST_FLASH = "request"

#: Each request kind and status as the page names it (msgids of the ``plantao`` domain).
KIND_LABELS = {"cover": "Cover request", "swap": "Swap proposal"}
STATUS_LABELS = STATUS_TITLES

#: The reader's words for the service's error codes (``plantao`` domain); ``${...}``
#: are filled from the error's params.  Other codes show :data:`GENERIC_ERROR`.
MESSAGES_BY_CODE = {
    "request.not_own_shift": "This shift is not yours: you can only ask about your own shifts.",
    "request.duplicate": "Request ${id} already asks about this time; cancel it first.",
    "request.not_eligible": "The rotation's rules, a leave or another shift stand in the way.",
    "request.not_open": "This request is no longer open: it is ${status}.",
    "request.not_awaiting_approval": "This request is not awaiting approval: it is ${status}.",
    "request.not_requester": "Only whoever asked may cancel this request.",
    "request.own": "You cannot take your own request.",
    "request.not_offered": "Only the colleague the swap names may accept it.",
    "request.person_required": "Open this page through your own link to answer it.",
    "request.outside_shift": "The time asked about must lie within the shift.",
    "request.started": "This has already started: ask only for the part still ahead.",
    "request.overlap": "The colleague's shift overlaps the time asked about.",
    "request.cover_with_shift": "Only a swap names a colleague's shift.",
    "same_person_swap": "That shift is yours: choose a colleague's shift.",
    "after_start": "The end must be after the start.",
    "required": "Choose the shift (and, for a swap, the colleague's shift).",
    "datetime": "Enter a valid date and time.",
    "datetime.empty": "Enter a valid date and time.",
    "datetime.offset": "Enter a valid date and time.",
    "not_found.request": "This request does not exist.",
    "not_found.shift": "This shift no longer exists: the roster has changed. Reload the page.",
}
GENERIC_ERROR = "This could not be done (${detail})."


def error_messages(request, error: ServiceError) -> list[str]:
    """A service error in the reader's words: one message per detail, or one for the whole error."""
    details = error.details if isinstance(error.details, list) and error.details else [None]
    messages = []
    for detail in details:
        code = getattr(detail, "code", None) if detail is not None else error.code
        params = dict((getattr(detail, "params", None) if detail is not None else error.params) or {})
        if "status" in params:
            params["status"] = translate(request, STATUS_LABELS.get(params["status"], params["status"]))
        msgid = MESSAGES_BY_CODE.get(code or "")
        if msgid is None:
            english = detail.get("message", "") if detail is not None else error.message
            message = translate(request, GENERIC_ERROR, detail=english)
        else:
            message = translate(request, msgid, **params)
        if message not in messages:
            messages.append(message)
    return messages


def as_id(raw: str | None) -> int | str:
    """A form's id field as the service's schema wants it (a number, else the text, refused there)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_ID else raw


# -- who reads, and as whom --------------------------------------------------------


def acting_as(request) -> int | None:
    """The person this reader acts as (action link or linked account), or None; a viewer never acts."""
    identity = request.plantao_identity or {}
    if identity.get("role") == VIEWER:
        return None
    return identity.get("person")


def link_query(request) -> dict:
    """What this reader's links and forms carry: their action link's token, nothing for a session."""
    identity = request.plantao_identity or {}
    if identity.get("role") == PERSON and identity.get("scheme") == "action-link":
        return {"token": request.GET["token"]}
    return {}


def refuse_wrong_link(request) -> None:
    """A wrong or revoked action link opens nothing: one answer, whatever it names."""
    if request.invalid_credentials:
        raise HTTPNotFound()


def own_person(request) -> int:
    """The person in the URL, who must be the one the credential acts as (else 403)."""
    refuse_wrong_link(request)
    person = int(request.matchdict["id"])
    if acting_as(request) != person:
        raise HTTPForbidden("A person answers requests as themselves only.")
    return person


# -- the page ----------------------------------------------------------------------


def request_values(request, team: Team, item: ShiftRequest | None, *, errors: list[str] | None = None) -> dict:
    """What ``request.pt`` shows: the request (None: only ``errors``), who may take it, the buttons."""
    fmt = Formatter(request.locale_name, team.timezone)
    service = request.find_service(RequestService)
    me = acting_as(request)
    values = {
        "team": team,
        "item": item,
        "errors": errors or [],
        "flashes": flashes(request),
        "csrf_token": get_csrf_token(request),
        "tz_name": team.timezone,
        "back_url": request.route_url("person", id=me, _query=link_query(request)) if me else None,
    }
    if item is None:
        return values
    names = service.names([item])
    candidates = service.candidates(item) if item.status == "open" else []

    def action_url(action: str) -> str:
        return request.route_url("person.request.action", id=me, request_id=item.id, action=action,
                                 _query=link_query(request))

    values.update(
        kind=translate(request, KIND_LABELS.get(item.kind, item.kind)),
        status=translate(request, STATUS_LABELS.get(item.status, item.status)),
        period=f"{fmt.datetime(item.start)} – {fmt.datetime(item.end)}",
        requester=names.get(item.requester_id, ""),
        with_person=names.get(item.with_person_id, "") if item.with_person_id else None,
        with_period=f"{fmt.datetime(item.with_start)} – {fmt.datetime(item.with_end)}"
        if item.kind == "swap" and item.with_start else None,
        accepted_by=names.get(item.accepted_by_id) if item.accepted_by_id else None,
        candidates=[{"id": c.person_id, "name": c.name, "hours": fmt_hours(c.hours, request)} for c in candidates],
        accept_url=action_url("accept") if me and any(c.person_id == me for c in candidates) else None,
        cancel_url=action_url("cancel") if me and me == item.requester_id and item.status in LIVE_STATUSES
        else None,
        token=link_query(request).get("token"),
    )
    return values


def flashes(request) -> list[str]:
    """The messages of the last answer; a reader without a session is not given one just to read."""
    if SESSION_COOKIE not in request.cookies:
        return []
    return request.session.pop_flash(REQUEST_FLASH)


def fmt_hours(hours: float, request) -> str:
    """``12,5 h`` / ``12.5 h``."""
    text = f"{hours:g}"
    return (text.replace(".", ",") if request.locale_name.startswith("pt") else text) + " h"


def team_of(request, slug: str) -> Team:
    try:
        return request.find_service(TeamService).get(slug)
    except NotFound:
        raise HTTPNotFound() from None


@view_config(route_name="request", request_method="GET", renderer=template("request.pt"),
             permission=NO_PERMISSION_REQUIRED)
def request_page(request):
    """Open to readers of the roster, and to a person's action link or linked account."""
    refuse_wrong_link(request)
    me = acting_as(request)
    may_read = request.has_permission("view")
    if me is None and not may_read:
        raise HTTPForbidden()
    team = team_of(request, request.matchdict["slug"])
    request_id = int(request.matchdict["id"])
    service = request.find_service(RequestService)
    try:
        item = service.get(team, request_id)
    except NotFound:
        raise HTTPNotFound() from None
    if not may_read and not service.concerns(item, me):
        # A private roster: an action link opens only the requests its person is part of.
        raise HTTPNotFound()
    return request_values(request, team, item)


def failed(request, error: ServiceError, team: Team, item: ShiftRequest | None) -> dict:
    """Nothing of this request is saved; the page again, saying why, with the error's status."""
    request.tm.doom()
    request.response.status = error.status
    return request_values(request, team, item, errors=error_messages(request, error))


@view_config(route_name="person.request.action", request_method="POST", renderer=template("request.pt"),
             permission="request")
def act_on_request(request):
    """Accept an offered request, or cancel one's own; back to the request's page."""
    person = own_person(request)
    request_id = int(request.matchdict["request_id"])
    service = request.find_service(RequestService)
    found = service.find(request_id)
    if found is None:
        raise HTTPNotFound()
    team = found.team
    body = {"note": request.POST["note"].strip()} if request.POST.get("note", "").strip() else {}
    action = request.matchdict["action"]
    try:
        item = service.act(team, request_id, action, person, body)
    except (Invalid, Conflict, NotFound) as error:
        return failed(request, error, team, service.find(request_id))
    done = {"accept": "You took this request." if item.status == "done"
            else "You accepted; a team admin still has to approve it.",
            "cancel": "Your request is cancelled."}[action]
    request.session.flash(translate(request, done), REQUEST_FLASH)
    return HTTPSeeOther(request.route_url("request", slug=team.slug, id=item.id, _query=link_query(request)))


@view_config(route_name="person.requests", request_method="POST", renderer=template("request.pt"),
             permission="request")
def create_request(request):
    """Ask for cover of (part of) one's shift, or propose a swap, from one's own page."""
    person = own_person(request)
    post = request.POST
    body: dict = {"kind": post.get("kind", "").strip(), "shift": as_id(post.get("shift"))}
    for name in ("start", "end", "note"):
        if post.get(name, "").strip():
            body[name] = post[name].strip()
    if post.get("with_shift", "").strip():
        body["with_shift"] = as_id(post["with_shift"])
    # The shift names the team; the service checks that it is the person's.
    team = request.find_service(RequestService).team_of_shift(body["shift"]) if isinstance(body["shift"], int) else None
    if team is None:
        error = NotFound("No such shift.", code="not_found.shift")
        request.response.status = error.status
        return no_request_page(request, error)
    try:
        item = request.find_service(RequestService).create(team, body, person)
    except (Invalid, Conflict, NotFound) as error:
        return failed(request, error, team, None)
    request.session.flash(translate(request, "Your request is open: the colleagues who may take it are told."),
                          REQUEST_FLASH)
    return HTTPSeeOther(request.route_url("request", slug=team.slug, id=item.id, _query=link_query(request)))


def no_request_page(request, error: ServiceError) -> dict:
    """The page with only the error, when not even a team could be read from the form."""
    request.tm.doom()
    me = acting_as(request)
    return {
        "team": None, "item": None, "errors": error_messages(request, error), "flashes": [],
        "csrf_token": get_csrf_token(request), "tz_name": None,
        "back_url": request.route_url("person", id=me, _query=link_query(request)) if me else None,
    }
