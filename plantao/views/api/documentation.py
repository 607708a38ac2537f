"""What each view of the JSON API says about itself in the OpenAPI document.

A view's docstring gives its operation's summary (the first paragraph) and
description (the rest); :func:`documented`, placed on the view, gives what
the code cannot tell: its operationId, the schema of its answer, its
request body, the query parameters it reads and the errors it may answer.
Paths, path parameters, methods and security come from the route and the
view's registration (``plantao/views/api/openapi.py`` reads them from
Pyramid), so a view of the API without :func:`documented` stops the
document from being built at all.

This module imports no view, so every view module can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Reads are public unless PUBLIC_ROSTER is off; a token also reveals contacts.
READ_SECURITY = [{}, {"bearerAuth": []}]
WRITE_SECURITY = [{"bearerAuth": []}]
#: A person's own notification preferences: the admin, or the person's secret link.
OWN_LINK_SECURITY = [{"bearerAuth": []}, {"feedToken": []}]
#: Feeds: whoever may read the roster, or whoever holds the feed's token link.
FEED_SECURITY = [{}, {"bearerAuth": []}, {"feedToken": []}]

#: The figures of people's hours (the fairness and hours reports): an owner's,
#: a team admin's or a token's (read or write scope).
REPORT_SECURITY = WRITE_SECURITY
#: What a report's CSV answers (a whole OpenAPI response object).
REPORT_CSV_RESPONSE = {
    "description": "one row per person; Content-Disposition names the file",
    "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
    "content": {"text/csv": {"schema": {"type": "string"}}},
}

#: Where :func:`documented` keeps a view's :class:`Documentation`.
ATTRIBUTE = "__api_documentation__"


@dataclass(frozen=True, eq=False)
class Documentation:
    """What :func:`documented` declared about one view (compared by identity)."""

    operation_id: str
    #: A schema of the components, by name; a whole OpenAPI response object;
    #: or None for a 204 without body.
    response: str | dict | None
    #: The description of the successful answer.
    answer: str
    status: int
    body: str | None
    #: Parameters of the components by name, in order; path parameters the
    #: route has and this omits come first.
    params: tuple[str, ...]
    errors: tuple[int, ...]
    location: bool
    security: tuple[dict, ...] | None
    #: Further answers by status (e.g. a 304), as OpenAPI response objects.
    also: tuple[tuple[int, dict], ...]
    tag: str | None


def documented(
    operation_id: str,
    response: str | dict | None = None,
    answer: str = "done; no body",
    *,
    status: int | None = None,
    body: str | None = None,
    params: tuple[str, ...] = (),
    errors: tuple[int, ...] = (),
    location: bool = False,
    security: list[dict] | None = None,
    also: dict[int, dict] | None = None,
    tag: str | None = None,
):
    """Declare a view's operation; see :class:`Documentation` for the fields.

    ``status`` defaults to 200 with a ``response``, 204 without.  ``tag``
    defaults to the one of the view's module.  ``security`` is needed only
    where the view's permission does not tell it (no permission, or
    ``NO_PERMISSION_REQUIRED``).
    """
    documentation = Documentation(
        operation_id=operation_id,
        response=response,
        answer=answer,
        status=status if status is not None else (200 if response is not None else 204),
        body=body,
        params=tuple(params),
        errors=tuple(errors),
        location=location,
        security=tuple(security) if security is not None else None,
        also=tuple(sorted((also or {}).items())),
        tag=tag,
    )

    def attach(view):
        setattr(view, ATTRIBUTE, documentation)
        return view

    return attach
