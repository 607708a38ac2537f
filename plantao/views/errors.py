"""Turning failures into answers: JSON under /api, a page elsewhere.

Bad input never reaches the user as a traceback: services raise
:class:`ServiceError` subclasses with plain-words messages, Pyramid raises
HTTP exceptions, and anything unexpected is logged and answered with a 500
that says nothing of the internals.  Pages get their errors as pages in the
site's layout; a wrong method gets 405 with ``Allow``, and a trailing slash
a redirect to the route without it.
"""

from __future__ import annotations

import logging

from html import escape

from pyramid.events import NewRequest, subscriber
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPException,
    HTTPForbidden,
    HTTPMovedPermanently,
    HTTPPermanentRedirect,
    HTTPSeeOther,
)
from pyramid.interfaces import IRoutesMapper
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from pyramid_retry import mark_error_retryable

from ..diagnostics import is_database_unavailable, is_dropped_connection
from ..i18n import translate
from ..resources import template
from ..routes import API
from ..security import TEAM_ADMIN
from ..services.errors import ServiceError

log = logging.getLogger(__name__)


def wants_json(request) -> bool:
    # The raw PATH_INFO: a path that is not UTF-8 must still get its answer.
    path = request.environ.get("PATH_INFO", "")
    return path.startswith(API + "/") or path == API


def _has_nul(pairs) -> bool:
    return any("\x00" in key or (isinstance(value, str) and "\x00" in value) for key, value in pairs)


@subscriber(NewRequest)
def refuse_unreadable_input(event) -> None:
    """Text that is not UTF-8, or holds NUL, is refused before any view reads it.

    PostgreSQL cannot store NUL in text and no name, slug or reason needs
    one; the JSON API checks its bodies, this covers paths, queries and forms.
    """
    request = event.request
    try:
        suspicious = "\x00" in request.path_info or _has_nul(request.GET.items())
        if not suspicious and request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            suspicious = _has_nul(request.POST.items())
    except UnicodeDecodeError:
        raise HTTPBadRequest("The request is not valid UTF-8.") from None
    except ValueError:
        # A multipart body the form parser cannot split (the boundary itself
        # is checked in front of Pyramid, see request_body.py).
        raise HTTPBadRequest("The form in the request body cannot be read.") from None
    if suspicious:
        raise HTTPBadRequest("Text cannot contain the NUL character.")


#: The body of every error the API answers (:func:`json_error`).
ERROR_RESPONSE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error", "details"],
    "properties": {
        "error": {"type": "string", "description": "what went wrong, in plain words"},
        "details": {"description": "structured details (e.g. a list of {field, message}); often null"},
    },
}


def json_error(request, status: int, message: str, details=None, headers=None):
    response = request.response
    response.status = status
    response.content_type = "application/json"
    response.json_body = {"error": message, "details": details}
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


#: Seconds a client is asked to wait when the database is not answering.
DATABASE_RETRY_AFTER = 5

#: The longest text an error answer repeats: messages quote the values they
#: refuse, and a value may be as long as the whole request body.
MAX_ERROR_TEXT = 500


def _bounded(value):
    if isinstance(value, str) and len(value) > MAX_ERROR_TEXT:
        return f"{value[:MAX_ERROR_TEXT]}… ({len(value)} characters in all)"
    if isinstance(value, dict):
        return {_bounded(key): _bounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded(item) for item in value]
    return value


@exception_view_config(ServiceError)
def service_error(exc, request):
    # pyramid_tm aborts the transaction of any request answered by an
    # exception view: nothing half-done is committed.
    message = _bounded(exc.message)
    if wants_json(request):
        return json_error(request, exc.status, message, _bounded(exc.details))
    return error_page(request, exc.status, detail=message)


#: What an error page says, by status: msgids of the ``plantao`` domain.
ERROR_TEXTS = {
    400: ("Bad request", "The address or the form sent cannot be read."),
    403: ("Not allowed", "You are logged in, but this account may only read. Log in as an administrator to change the roster."),
    404: ("Page not found", "There is nothing at this address: the link may be mistyped, or what it showed was removed."),
    405: ("Method not allowed", "This address does not answer this kind of request."),
    409: ("Conflict", "The request conflicts with what is already saved."),
    422: ("The request cannot be applied", "Nothing was changed."),
    429: ("Too many requests", "Wait a moment and try again."),
    500: ("Something went wrong", "The request was not applied. The details are in the server log."),
    503: ("Temporarily unavailable", "The database is not answering. Nothing was changed: try again in a few seconds."),
}
OTHER_CLIENT_ERROR = ("The request cannot be answered", "Check the address and try again.")
#: Headers of an HTTP exception an error page keeps.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def error_page(request, status: int, detail: str | None = None, headers=None) -> Response:
    """An HTML error answer in the site's layout, with a way back."""
    title, text = ERROR_TEXTS.get(status) or (OTHER_CLIENT_ERROR if status < 500 else ERROR_TEXTS[500])
    title, text = translate(request, title), translate(request, text)
    values = {"status": status, "title": title, "text": text, "detail": detail, "admin_home": None}
    try:
        if request.environ.get("PATH_INFO", "").startswith("/admin"):
            values["admin_home"] = request.route_path("admin")
        response = render_to_response(template("error.pt"), values, request=request, response=Response())
    except Exception:
        # The layout reads the request (its path, the visitor's session): a
        # request too broken for that still gets a page, a bare one.
        log.debug("error page rendered without the layout", exc_info=True)
        response = Response(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · Plantão</title></head><body><h1>{escape(title)}</h1>"
            f"<p>{escape(text)}</p>" + (f"<p>{escape(detail)}</p>" if detail else "")
            + '<p><a href="/">Plantão</a></p></body></html>',
            content_type="text/html",
            charset="utf-8",
        )
    response.status = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def allowed_methods(request) -> tuple[str, ...] | None:
    """The methods the views of the matched route answer; None if any method (or no route)."""
    route = request.matched_route
    if route is None:
        return None
    methods: set[str] = set()
    for entry in request.registry.introspector.get_category("views") or ():
        view = entry["introspectable"]
        if view["route_name"] != route.name:
            continue
        wanted = view["request_methods"]
        if wanted is None:
            return None
        methods.update((wanted,) if isinstance(wanted, str) else wanted)
    if "GET" in methods:
        methods.add("HEAD")  # Pyramid answers HEAD with the GET view
    return tuple(sorted(methods)) or None


def slash_redirect(request) -> HTTPException | None:
    """``/admin/`` to ``/admin``: a trailing slash never hides a page.

    Pyramid's ``append_slash`` adds one; Plantão's routes have none, so this
    takes it away when the path without it is a route.
    """
    if request.matched_route is not None:
        return None
    try:
        path = request.path_info
    except UnicodeDecodeError:
        return None
    stripped = path.rstrip("/")
    # "//host" would be a link to another site, never one of our routes.
    if stripped == path or not stripped or stripped.startswith("//"):
        return None
    mapper = request.registry.queryUtility(IRoutesMapper)
    if mapper is None or not any(route.match(stripped) is not None for route in mapper.get_routes()):
        return None
    query = f"?{request.query_string}" if request.query_string else ""
    # 308 keeps the method and body of a POST or PUT; GET gets the cacheable 301.
    redirect = HTTPMovedPermanently if request.method in ("GET", "HEAD") else HTTPPermanentRedirect
    return redirect(location=request.script_name + stripped + query)


@notfound_view_config()
def not_found(exc, request):
    # Pyramid answers "not found" when a route matches but none of its
    # views takes the method: that is a 405, and says which methods work.
    allowed = allowed_methods(request)
    if allowed and request.method not in allowed:
        headers = {"Allow": ", ".join(allowed)}
        if wants_json(request):
            message = f"{request.method} is not allowed on {request.path}: use {', '.join(allowed)}."
            return json_error(request, 405, message, {"allowed": list(allowed)}, headers=headers)
        return error_page(request, 405, headers=headers)
    redirect = slash_redirect(request)
    if redirect is not None:
        return redirect
    if wants_json(request):
        return json_error(request, 404, f"No such API resource: {request.method} {request.path}.")
    return error_page(request, 404)


@forbidden_view_config()
def forbidden(exc: HTTPForbidden, request):
    if wants_json(request) and request.plantao_identity is not None:
        # Authenticated (a viewer, a team admin elsewhere), just not allowed:
        # logging in again would not help.  The security policy says why.
        reason = getattr(getattr(exc, "result", None), "msg", None)
        return json_error(request, 403, reason or "This credential may only read: the admin credential is required.")
    if wants_json(request):
        message = (
            "Invalid credentials."
            if request.invalid_credentials
            else "Authentication required: send Authorization: Bearer <ADMIN_PASSWORD>."
        )
        return json_error(request, 401, message, headers={"WWW-Authenticate": 'Bearer realm="plantao"'})
    identity = request.plantao_identity
    if identity is not None and (request.method not in ("GET", "HEAD") or identity.get("role") == TEAM_ADMIN):
        # A viewer's write, a team admin on another team: known, just not
        # allowed.  Sending them to the login page would lose a form and
        # suggest a password would do.
        return error_page(request, 403)
    # Pages answer with the login form, which sends the visitor back here.
    return HTTPSeeOther(request.route_url("admin.login", _query={"next": request.path_qs}))


@exception_view_config(HTTPException)
def http_exception(exc, request):
    headers = {name: exc.headers[name] for name in KEPT_HEADERS if name in exc.headers}
    if wants_json(request):
        return json_error(request, exc.status_code, exc.detail or exc.explanation or exc.title, headers=headers or None)
    if exc.status_code < 400:
        return exc
    return error_page(request, exc.status_code, detail=exc.detail, headers=headers)


def _read_again(exc, request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and is_dropped_connection(exc)
        and request.environ.get("retry.attempt") == 0
        and request.environ.get("retry.attempts", 1) > 1
    )


# pyramid_retry still retries a retryable error (a serialization failure)
# answered by this view while attempts remain; the answer of the last
# attempt is the one the client sees.
@exception_view_config(Exception)
def unexpected(exc, request):
    if _read_again(exc, request):
        # A read that met a connection the server had dropped (a restart, a
        # failover) runs once more, on a fresh connection, before the client
        # hears of it (this answer is discarded); a read changes nothing, so
        # repeating it is safe.  Writes are never repeated: they get the 503.
        log.warning("connection lost answering %s %s, trying once more: %s", request.method, request.path, exc.orig)
        mark_error_retryable(exc)
    elif is_database_unavailable(exc):
        # Nothing was written (the transaction never committed): the client
        # may simply try again once the database answers.
        log.error("database unavailable answering %s %s: %s", request.method, request.path, getattr(exc, "orig", None) or exc)
    if is_database_unavailable(exc):
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
        if wants_json(request):
            return json_error(
                request,
                503,
                "The database is not answering: nothing was changed. Try again shortly.",
                headers=headers,
            )
        return error_page(request, 503, headers=headers)
    log.exception("unexpected error answering %s %s", request.method, request.path)
    if wants_json(request):
        return json_error(request, 500, "Internal error: the request was not applied. See the server log.")
    return error_page(request, 500)
