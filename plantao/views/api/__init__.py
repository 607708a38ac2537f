"""The JSON API under /api/v1: request plumbing shared by its views.

Views here stay thin: read the request with these helpers, call a service,
return its representation.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime

from ...services.errors import BadRequest, NotFound
from ...services.validation import MAX_ID
# Re-exported: the API views and the pages import a reader's contacts from here.
from ..services import contacts  # noqa: F401

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: Shifts and gaps come in larger pages: a month of a busy team is hundreds.
SHIFTS_DEFAULT_LIMIT = 500
SHIFTS_MAX_LIMIT = 5000
#: How deeply a JSON body may nest objects and arrays; the deepest real body
#: (a rotation's rules and restrictions) needs four levels.
MAX_JSON_DEPTH = 64


def json_body(request) -> dict:
    """The request's JSON object, or a 400 saying what is wrong with it.

    The API contract answers every unreadable body with 400, a wrong
    content type included.
    """
    if request.content_type not in ("application/json", ""):
        raise BadRequest(
            f"Send JSON with Content-Type: application/json, not {request.content_type}.",
            code="body.content_type",
            params={"content_type": request.content_type},
        )
    if not request.body:
        raise BadRequest("The request has no body; send a JSON object.", code="body.empty")
    too_deep = f"Malformed JSON: objects and arrays nested deeper than {MAX_JSON_DEPTH} levels."
    try:
        body = json.loads(request.body)
    except RecursionError:
        raise BadRequest(too_deep, code="body.too_deep", params={"limit": MAX_JSON_DEPTH}) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"Malformed JSON: {error}.", code="body.malformed", params={"detail": str(error)}) from None
    if not isinstance(body, dict):
        raise BadRequest(
            f"The body must be a JSON object, got {type(body).__name__}.",
            code="body.not_object",
            params={"type": type(body).__name__},
        )
    problem = _unacceptable(body)
    if problem == "depth":
        raise BadRequest(too_deep, code="body.too_deep", params={"limit": MAX_JSON_DEPTH})
    if problem == "nul":
        # PostgreSQL text cannot hold NUL, and no name or reason needs one.
        raise BadRequest("Text fields cannot contain the NUL character (\\u0000).", code="body.nul")
    if problem == "surrogate":
        # JSON may escape half of a UTF-16 pair (\\ud800) on its own; that is
        # no character at all, and no page, feed or database could store it.
        raise BadRequest(
            "Text fields cannot contain unpaired UTF-16 surrogates (\\ud800-\\udfff).", code="body.surrogate"
        )
    return body


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unacceptable(body: dict) -> str | None:
    """``"depth"``, ``"nul"`` or ``"surrogate"`` when the body nests too deeply or holds text no store can keep.

    A loop with its own stack, not recursion: a body nested a few hundred
    levels deep would exhaust Python's stack long before its own limit.
    """
    pending = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return "nul"
            if _SURROGATE.search(value):
                return "surrogate"
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return "depth"
            items = [part for pair in value.items() for part in pair] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return None


def limit(request, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = request.params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(
            f"limit must be a whole number, got {raw!r}.", code="limit.not_a_number", params={"value": raw}
        ) from None
    if not 1 <= value <= maximum:
        raise BadRequest(
            f"limit must be between 1 and {maximum}, got {value}.",
            code="limit.range",
            params={"maximum": maximum, "value": value},
        )
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
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.", code="cursor") from None
    if not isinstance(position, dict):
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.", code="cursor")
    return position


def after_id(request) -> int:
    position = decode_cursor(request) or {}
    value = position.get("after", 0)
    if not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.", code="cursor")
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
    raw = request.matchdict[name]
    if len(raw) > 100:
        # Thousands of digits would not even convert (Python's limit on int strings);
        # the routes stop them, this is for any other caller.
        raise NotFound(f"No such {name}.", code="not_found.id", params={"name": name, "value": raw[:20] + "…"})
    value = int(raw)
    if value > MAX_ID:
        raise NotFound(f"No such {name}: {value}.", code="not_found.id", params={"name": name, "value": value})
    return value
