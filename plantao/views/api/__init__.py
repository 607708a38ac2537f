"""The JSON API under /api/v1: request plumbing shared by its views.

Views here stay thin: read the request with these helpers, call a service,
return its representation.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from ...services.audit import Actor
from ...services.context import ServiceContext
from ...services.errors import BadRequest, NotFound
from ...services.validation import MAX_ID
from ...services.representations import ContactPolicy

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def json_body(request) -> dict:
    """The request's JSON object, or a 400 saying what is wrong with it.

    The API contract answers every unreadable body with 400, a wrong
    content type included.
    """
    if request.content_type not in ("application/json", ""):
        raise BadRequest(f"Send JSON with Content-Type: application/json, not {request.content_type}.")
    if not request.body:
        raise BadRequest("The request has no body; send a JSON object.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise BadRequest(f"Malformed JSON: {error}.") from None
    if not isinstance(body, dict):
        raise BadRequest(f"The body must be a JSON object, got {type(body).__name__}.")
    if _contains_nul(body):
        # PostgreSQL text cannot hold NUL, and no name or reason needs one.
        raise BadRequest("Text fields cannot contain the NUL character (\\u0000).")
    return body


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def service_context(request) -> ServiceContext:
    identity = request.plantao_identity or {}
    actor = Actor(credential=identity.get("credential", "anonymous"), client_addr=request.client_addr)
    return ServiceContext(request.dbsession, request.plantao_settings, request.plugins, actor)


def contacts(request) -> ContactPolicy:
    return ContactPolicy.for_reader(
        request.plantao_identity is not None, request.plantao_settings.public_contacts
    )


def limit(request, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = request.params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"limit must be a whole number, got {raw!r}.") from None
    if not 1 <= value <= maximum:
        raise BadRequest(f"limit must be between 1 and {maximum}, got {value}.")
    return value


def encode_cursor(**position) -> str:
    raw = json.dumps(position, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(request) -> dict | None:
    raw = request.params.get("cursor")
    if not raw:
        return None
    try:
        padded = raw + "=" * (-len(raw) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.") from None
    if not isinstance(position, dict):
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.")
    return position


def after_id(request) -> int:
    position = decode_cursor(request) or {}
    value = position.get("after", 0)
    if not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.")
    return value


def page(items: list, size: int, render, key=lambda item: {"after": item.id}) -> tuple[list, str | None]:
    """Render ``items`` (fetched with one extra) and the cursor of the next page."""
    has_more = len(items) > size
    items = items[:size]
    next_cursor = encode_cursor(**key(items[-1])) if has_more and items else None
    return [render(item) for item in items], next_cursor


def no_content(request):
    """An empty 204 answer (no body, so no content type either)."""
    response = request.response
    response.status = 204
    response.content_type = None
    return response


def path_int(request, name: str) -> int:
    """An id from the path (routes only match digits); one that cannot exist is a 404."""
    value = int(request.matchdict[name])
    if value > MAX_ID:
        raise NotFound(f"No such {name}: {value}.")
    return value
