"""Turning failures into answers: JSON under /api, a page elsewhere.

Bad input never reaches the user as a traceback: services raise
:class:`ServiceError` subclasses with plain-words messages, Pyramid raises
HTTP exceptions, and anything unexpected is logged and answered with a 500
that says nothing of the internals.
"""

from __future__ import annotations

import logging

from pyramid.events import NewRequest, subscriber
from pyramid.httpexceptions import HTTPBadRequest, HTTPException, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from ..routes import API
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
    if suspicious:
        raise HTTPBadRequest("Text cannot contain the NUL character.")


def json_error(request, status: int, message: str, details=None, headers=None):
    response = request.response
    response.status = status
    response.content_type = "application/json"
    response.json_body = {"error": message, "details": details}
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@exception_view_config(ServiceError)
def service_error(exc, request):
    # pyramid_tm aborts the transaction of any request answered by an
    # exception view: nothing half-done is committed.
    if wants_json(request):
        return json_error(request, exc.status, exc.message, exc.details)
    response = request.response
    response.status = exc.status
    response.content_type = "text/plain"
    response.text = exc.message
    return response


@notfound_view_config()
def not_found(exc, request):
    if wants_json(request):
        return json_error(request, 404, f"No such API resource: {request.method} {request.path}.")
    response = request.response
    response.status = 404
    response.content_type = "text/html"
    response.text = "<!DOCTYPE html><title>Página não encontrada</title><h1>404 — página não encontrada</h1>"
    return response


@forbidden_view_config()
def forbidden(exc: HTTPForbidden, request):
    if wants_json(request):
        message = (
            "Invalid credentials."
            if request.invalid_credentials
            else "Authentication required: send Authorization: Bearer <ADMIN_PASSWORD>."
        )
        return json_error(request, 401, message, headers={"WWW-Authenticate": 'Bearer realm="plantao"'})
    # Pages answer with the login form, which sends the visitor back here.
    return HTTPSeeOther(request.route_url("admin.login", _query={"next": request.path_qs}))


@exception_view_config(HTTPException)
def http_exception(exc, request):
    if wants_json(request):
        return json_error(request, exc.status_code, exc.detail or exc.explanation or exc.title)
    return exc


# pyramid_retry still retries a retryable error (a serialization failure)
# answered by this view while attempts remain; the answer of the last
# attempt is the one the client sees.
@exception_view_config(Exception)
def unexpected(exc, request):
    log.exception("unexpected error answering %s %s", request.method, request.path)
    if wants_json(request):
        return json_error(request, 500, "Internal error: the request was not applied. See the server log.")
    response = request.response
    response.status = 500
    response.content_type = "text/html"
    response.text = "<!DOCTYPE html><title>Erro</title><h1>500 — erro interno</h1>"
    return response
