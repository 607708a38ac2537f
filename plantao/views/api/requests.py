"""/api/v1/teams/{slug}/requests: cover and swap requests, and what people do with them."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.security import Denied
from pyramid.view import view_config, view_defaults

from ...security import acting_person, may_act_for_others
from ...services.errors import BadRequest
from ...services.requests import ACTION_SCHEMA, REQUEST_SCHEMA, RequestService, request_json
from ...services.validation import validate
from ...services.teams import TeamService
from . import json_body, path_int
from .documentation import documented

#: A person's action link (``?token=``) or a linked account, or a credential acting for them.
REQUEST_SECURITY = [{"bearerAuth": []}, {"actionToken": []}]


@view_defaults(renderer="json")
class RequestsAPI:
    def __init__(self, request):
        self.request = request
        self.team = request.find_service(TeamService).get(request.matchdict["slug"])
        self.requests = request.find_service(RequestService)

    def _person(self, body: dict) -> int | None:
        """Who the credential acts as (see :func:`plantao.security.acting_person`); 403 when it
        names somebody it may not act for."""
        requested = body.get("person")
        person = acting_person(self.request, requested)
        if person is None and requested is not None:
            raise HTTPForbidden(result=Denied("This credential may act only as its own person."))
        return person

    @documented(
        "listRequests", "RequestList", "the team's requests, newest first", params=("requestStatus", "requestPerson"),
        errors=(400, 404, 422),
    )
    @view_config(route_name="api.requests", request_method="GET", permission="view")
    def list(self):
        """A team's cover and swap requests.

        Filter with `status` (open, awaiting_approval, done, declined, cancelled, expired,
        obsolete) and `person` (as requester, colleague or taker).
        """
        person = self.request.params.get("person")
        if person is not None and not (person.isascii() and person.isdigit() and len(person) <= 10
                                       and 0 < int(person) < 2**31):
            raise BadRequest("person must be a person's id.", code="query.person")
        items = self.requests.list(self.team, status=self.request.params.get("status") or None,
                                   person=int(person) if person else None)
        names = self.requests.names(items)
        return {"requests": [self._shown(request_json(item, names)) for item in items]}

    @documented("getRequest", "Request", "the request, with who may take it", errors=(404,))
    @view_config(route_name="api.request", request_method="GET", permission="view")
    def get(self):
        """One request, with the colleagues who may take it (fewest on-call hours in 90 days first)."""
        item = self.requests.get(self.team, path_int(self.request, "id"))
        return self._answer(item)

    @documented(
        "createRequest", "Request", "created, with who may take it", status=201, body="RequestCreate",
        errors=(400, 403, 404, 409, 422), security=REQUEST_SECURITY,
    )
    @view_config(route_name="api.requests", request_method="POST", permission="request")
    def create(self):
        """Ask for cover, or propose a swap, for a future shift or part of it.

        `kind` is `cover` (anyone eligible takes it) or `swap` (with the colleague's
        `with_shift`); `start`/`end` ask about part of `shift` only.  Through an action
        link or a linked account the requester is that person; an owner, a team admin
        or a write token of the team may give `person`.
        """
        body = json_body(self.request)
        validate(REQUEST_SCHEMA, body)
        if "person" not in body and may_act_for_others(self.request):
            # An admin asking for somebody: the shift's holder, whoever they are.
            person = None
        else:
            person = self._person(body)
            if person is None:
                raise HTTPForbidden(result=Denied("Only a person, or a credential acting for one, asks."))
        item = self.requests.create(self.team, body, person)
        self.request.response.status = 201
        return self._answer(item)

    @documented(
        "actOnRequest", "Request", "the request after the action", body="RequestAction",
        errors=(400, 403, 404, 409, 422), security=REQUEST_SECURITY,
    )
    @view_config(route_name="api.request.action", request_method="POST", permission="request")
    def act(self):
        """`accept`, `cancel`, `approve` or `decline` a request.

        A person accepts an offer made to them, or cancels their own request while it is
        open or awaiting approval; a team admin (or owner, or write token of the team)
        approves or declines an accepted request where the team's `swap_approval` is
        `admin`.  A second accept answers 409.
        """
        action = self.request.matchdict["action"]
        body = json_body(self.request) if self.request.body else {}
        validate(ACTION_SCHEMA, body)
        if action in ("approve", "decline"):
            if not may_act_for_others(self.request):
                raise HTTPForbidden(result=Denied("Only a team admin approves or declines requests."))
            person = None
        else:
            person = self._person(body)
        item = self.requests.act(self.team, path_int(self.request, "id"), action, person, body)
        return self._answer(item)

    def _shown(self, body: dict) -> dict:
        """``body`` as this reader may see it: the credential that decided (an account's email, a
        token's name) is for readers of the audit log only."""
        if body["decided_by"] is not None and not self.request.has_permission("audit"):
            body["decided_by"] = None
        return body

    def _answer(self, item) -> dict:
        names = self.requests.names([item])
        body = self._shown(request_json(item, names))
        body["candidates"] = [
            {"person": c.person_id, "name": c.name, "hours_90d": c.hours}
            for c in (self.requests.candidates(item) if item.status == "open" else ())
        ]
        return body
