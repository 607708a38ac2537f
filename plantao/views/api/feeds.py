"""Exports and calendar feeds: GET .../export.{format}, POST .../feed-token.

A feed answers whoever may read the roster (anyone when it is public), and
anyone holding its secret token link (``?token=``), which an admin rotates
to kill the old link.  A token link is a credential: it shows the contacts
an authenticated reader sees.  The body comes from the feed cache; the
request that finds it there needs no database, and a client that already
has it gets 304.
"""

from __future__ import annotations

import json
from datetime import timedelta

from pyramid.view import view_config

from ...datetimes import zone
from ...routes import public_route_url
from ...security import ADMIN, same_secret
from ...services.errors import BadRequest, NotFound, ServiceError
from ...services.feeds import FeedCache, FeedRequest, FeedTokenService, RenderedFeed
from ...services.people import PersonService
from ...services.representations import FULL_CONTACTS, SHIFT_RESPONSE
from ...services.response_schemas import DATE_TIME, closed_object, ref
from ...services.teams import TeamService
from . import contacts, path_int
from .documentation import FEED_SECURITY, documented
from .intervals import interval, local_midnight, person_param
from ...caches import RepeatedReads
from ..services import shared

#: How far back a feed reaches when the request names no ``start``.
DEFAULT_PAST = timedelta(days=30)


class FeedTokenRejected(ServiceError):
    """A feed link's token is wrong (rotated), or a private roster's feed has none."""

    status = 401


def export_format(request):
    name = request.matchdict["format"]
    formats = request.plugins.export_formats
    fmt = formats.get(name)
    if fmt is None:
        available = sorted(formats)
        raise NotFound(
            f"No export format {name!r}; available: {', '.join(available) or 'none'}.",
            {"available": available},
            code="not_found.export_format",
            params={"name": name, "available": ", ".join(available) or "none"},
        )
    return fmt


def reader_contacts(request, secret: str):
    """The contacts the feed's body may show, or :class:`FeedTokenRejected`.

    The body is kept per roster revision, so it cannot follow handoffs:
    an anonymous reader's has no contacts (``ContactPolicy.for_export``).
    """
    token = request.params.get("token")
    if token is not None:
        if not same_secret(token, secret):
            raise FeedTokenRejected(
                "This feed link is not valid (its token was rotated?): ask an admin for the current link.",
                code="feed.token_rejected",
            )
        return FULL_CONTACTS
    # Who may read a private roster is the security policy's to say.
    if request.has_permission("view"):
        return contacts(request).policy.for_export()
    raise FeedTokenRejected(
        "This roster is private: use the feed's token link (?token=...) or send "
        "Authorization: Bearer <password>.",
        code="feed.private",
    )


def feed_request(request, kind: str, subject) -> FeedRequest:
    fmt = export_format(request)
    secret = subject.feed_token
    reader = reader_contacts(request, secret)
    tz = zone(subject.timezone)
    settings = request.plantao_settings
    midnight = local_midnight(tz)
    horizon = timedelta(days=settings.horizon_days)

    def default_end(start):
        end = subject.horizon_end
        return end if end is not None and end > start else start + horizon

    start, end = interval(request, tz, midnight - DEFAULT_PAST, default_end=default_end)
    try:
        params = fmt.params(request.GET)
    except ValueError as error:
        raise BadRequest(
            f"{fmt.name}: {error}", code="feed.params", params={"format": fmt.name, "detail": str(error)}
        ) from None
    return FeedRequest(
        kind=kind,
        subject=subject,
        format=fmt,
        start=start,
        end=end,
        role=request.params.get("role") or None,
        person_id=person_param(request) if kind == "team" else None,
        params=tuple(sorted(params.items())) if _hashable(params) else json.dumps(params, sort_keys=True),
        contacts=reader,
        url=public_route_url(request, request.matched_route.name, **request.matchdict),
        domain=settings.domain_name or "plantao.local",
        window_moved_at=None if request.params.get("start") else midnight,
    )


def _hashable(params: dict) -> bool:
    return all(isinstance(v, (str, int, float, bool, type(None))) for v in params.values())


def not_modified(request, rendered: RenderedFeed) -> bool:
    """Whether the client's copy is current (If-None-Match first, per RFC 9110)."""
    header = request.headers.get("If-None-Match")
    if header is not None:
        tags = [tag.strip() for tag in header.split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == rendered.etag for tag in tags)
    try:
        since = request.if_modified_since
    except (ValueError, OverflowError):
        # A date no clock shows is no date: the header is ignored.
        since = None
    return since is not None and rendered.last_modified <= since


#: A shift of the json export format (``plugin_api.ExportShift.as_json`` and its override's reason).
EXPORT_SHIFT_RESPONSE = closed_object(
    {
        **SHIFT_RESPONSE["properties"],
        "team": {"type": "string", "description": "the team's slug"},
        "reason": {
            "type": ["string", "null"],
            "description": "the override's reason, as in the CSV's reason column; null when the shift is no "
            "override or the override gave none",
        },
    },
    "a shift as the shifts API shows it, with its team and its override's reason",
)
#: The body of the json export format (``plugins/exports.py``, ``JsonFormat.render``).
EXPORT_DOCUMENT_RESPONSE = closed_object(
    {
        "title": {"type": "string"},
        "timezone": {"type": "string"},
        "team": {"type": ["string", "null"]},
        "person": {"type": ["integer", "null"]},
        "role": {"type": ["string", "null"]},
        "start": DATE_TIME,
        "end": DATE_TIME,
        "shifts": {"type": "array", "items": ref("ExportShift")},
    },
    "the json export format: every shift of the interval, unpaginated",
)
#: What :func:`answer` answers: the rendered feed, or 304.
FEED_RESPONSE = {
    "description": "the feed's body; Content-Disposition names the file",
    "headers": {
        "ETag": {"schema": {"type": "string"}},
        "Last-Modified": {"schema": {"type": "string"}},
        "Content-Disposition": {"schema": {"type": "string"}},
    },
    "content": {
        "text/calendar": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": ref("ExportDocument")},
    },
}
NOT_MODIFIED = {304: {"description": "not modified: the client's copy is current"}}
#: The query parameters every feed reads (see :func:`feed_request`).
FEED_QUERY = ("exportStart", "exportEnd", "role", "token", "alarm", "lang", "dialect")


def answer(request, rendered: RenderedFeed, version: tuple):
    response = request.response
    response.headers["ETag"] = rendered.etag
    response.last_modified = rendered.last_modified
    # Clients may keep the body, but must ask (cheaply: 304) before using it.
    response.headers["Cache-Control"] = "private, no-cache"
    content = {
        "Content-Type": rendered.content_type,
        "Content-Disposition": f'attachment; filename="{rendered.filename}"',
    }
    # The next request for this very feed (a revalidation, or the same
    # request again) is answered in front of Pyramid
    # (plantao.caches.RepeatedReads), as long as what it shows stays the same.
    shared(request, RepeatedReads).remember(
        request,
        rendered.etag,
        version,
        {name: response.headers[name] for name in ("ETag", "Last-Modified", "Cache-Control")},
        body=rendered.body,
        content=content,
    )
    if not_modified(request, rendered):
        response.status = 304
        response.content_type = None
        return response
    response.headers.update(content)
    response.body = rendered.body
    return response


def export(request, kind: str, ident, timezone_name: str | None):
    """The feed of a team (``ident`` its slug) or a person (their id), from the feed cache."""
    cache = shared(request, FeedCache)
    subject = cache.subject(kind, ident, timezone_name)
    # Read before rendering: should the roster change meanwhile, the
    # remembered ETag is simply never used.
    version = cache.version(kind, ident)
    return answer(request, cache.feed(feed_request(request, kind, subject)), (kind, ident, version))


@documented(
    "exportTeam", FEED_RESPONSE, params=("person", "format", *FEED_QUERY), errors=(400, 404), also=NOT_MODIFIED,
    security=FEED_SECURITY,
)
@view_config(route_name="api.team.export", request_method="GET")
def team_export(request):
    """A team's shifts as a file or calendar feed.

    Other export formats answer their own media type. Conditional requests (If-None-Match,
    If-Modified-Since) answer 304 when the feed has not changed.
    """
    return export(request, "team", request.matchdict["slug"], None)


@documented(
    "exportPerson", FEED_RESPONSE, params=("format", *FEED_QUERY), errors=(400, 404), also=NOT_MODIFIED,
    security=FEED_SECURITY,
)
@view_config(route_name="api.person.export", request_method="GET")
def person_export(request):
    """One person's shifts in every team as a file or calendar feed.

    Other export formats answer their own media type. Conditional requests (If-None-Match,
    If-Modified-Since) answer 304 when the feed has not changed.
    """
    return export(request, "person", path_int(request, "id"), request.plantao_settings.timezone)


# -- links and their tokens ---------------------------------------------------------------


FEED_LINK_RESPONSE = closed_object(
    {
        "format": {"type": "string"},
        "title": {"type": "object", "additionalProperties": {"type": "string"}},
        "media_type": {"type": "string"},
        "url": {
            "type": "string",
            "format": "uri",
            "description": "the feed (with its secret token for logged-in readers)",
        },
        "webcal": {
            "type": ["string", "null"],
            "description": "the same address as webcal:// for calendar apps; null for other formats",
        },
    },
    "a feed of one export format",
)
FEED_LINKS_RESPONSE = {"type": "array", "items": ref("FeedLink"), "description": "one per installed export format"}
#: What the team's and the person's feeds and feed-token views answer.
TEAM_FEEDS_RESPONSE = closed_object({"team": {"type": "string"}, "feeds": ref("FeedLinks")}, "the team's feed links")
PERSON_FEEDS_RESPONSE = closed_object(
    {"person": {"type": "integer"}, "feeds": ref("FeedLinks")}, "the person's feed links"
)


def feed_links(request, *, team=None, person=None, with_token: bool = True) -> list[dict]:
    """The feed URLs of a team or a person, one per installed format.

    Each has ``url`` (https behind the proxy) and, for calendar formats,
    ``webcal`` (the same address for calendar apps to subscribe to).  With
    ``with_token`` the URLs carry the secret token (for admins, and for the
    pages of a private roster).
    """
    if team is not None:
        route, path, secret = "api.team.export", {"slug": team.slug}, team.feed_token
    else:
        route, path, secret = "api.person.export", {"id": person.id}, person.feed_token
    query = {"token": secret} if with_token else {}
    links = []
    for name, fmt in sorted(request.plugins.export_formats.items()):
        url = public_route_url(request, route, format=name, _query=query, **path)
        webcal = None
        if fmt.media_type == "text/calendar":
            webcal = "webcal://" + url.split("://", 1)[1]
        links.append(
            {"format": name, "title": dict(fmt.title), "media_type": fmt.media_type, "url": url, "webcal": webcal}
        )
    return links


def with_token(request) -> bool:
    """Logged-in readers (admins and viewers) get the secret links; on a public roster, others the plain ones."""
    return request.plantao_identity is not None


@documented("getTeamFeeds", "TeamFeedToken", "the links", errors=(404,))
@view_config(route_name="api.team.feeds", request_method="GET", renderer="json", permission="view")
def team_feeds(request):
    """The team's feed links; logged-in readers get them with the secret token.

    One per format, https and (for calendars) webcal.
    """
    team = request.find_service(TeamService).get(request.matchdict["slug"])
    return {"team": team.slug, "feeds": feed_links(request, team=team, with_token=with_token(request))}


@documented("getPersonFeeds", "PersonFeedToken", "the links", errors=(404,))
@view_config(route_name="api.person.feeds", request_method="GET", renderer="json", permission="view")
def person_feeds(request):
    """The person's feed links; only an admin gets them with the secret token.

    One per format, https and (for calendars) webcal. A person's token also
    opens their own page and preferences, hence only for admins (the person
    has theirs on their page).
    """
    person = request.find_service(PersonService).get(path_int(request, "id"))
    identity = request.plantao_identity or {}
    return {"person": person.id, "feeds": feed_links(request, person=person, with_token=identity.get("role") == ADMIN)}


@documented("rotateTeamFeedToken", "TeamFeedToken", "the new links", errors=(404,))
@view_config(route_name="api.team.feed_token", request_method="POST", renderer="json", permission="admin")
def rotate_team_token(request):
    """A new secret for the team's feed links; the old links stop working."""
    team = request.find_service(FeedTokenService).rotate_team(
        request.find_service(TeamService).get(request.matchdict["slug"])
    )
    return {"team": team.slug, "feeds": feed_links(request, team=team)}


@documented("rotatePersonFeedToken", "PersonFeedToken", "the new links", errors=(404,))
@view_config(route_name="api.person.feed_token", request_method="POST", renderer="json", permission="admin")
def rotate_person_token(request):
    """A new secret for the person's feed links; the old links stop working."""
    person = request.find_service(FeedTokenService).rotate_person(
        request.find_service(PersonService).get(path_int(request, "id"))
    )
    return {"person": person.id, "feeds": feed_links(request, person=person)}
