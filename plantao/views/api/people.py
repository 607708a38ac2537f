"""/api/v1/people: people, their leave and their action links."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.security import Denied
from pyramid.view import view_config, view_defaults

from ...datetimes import zone
from ...models import Person
from ...routes import public_route_url
from ...services.errors import BadRequest
from ...services.people import PersonService, rate_json
from ...services.representations import leave_json, person_json
from ...services.response_schemas import closed_object
from . import after_id, contacts, json_body, limit, no_content, page, path_int
from .documentation import WRITE_SECURITY, documented

#: What rotating a person's action link answers (a whole OpenAPI response object).
ACTION_LINK_RESPONSE = {
    "description": "the new action link; the old one no longer opens anything",
    "content": {
        "application/json": {
            "schema": closed_object(
                {
                    "person": {"type": "integer"},
                    "action_url": {
                        "type": "string",
                        "format": "uri",
                        "description": "the person's page with their new action token (`?token=`): give it to "
                                       "them only; it opens their preferences and requests",
                    },
                },
                "a person's action link",
            )
        }
    },
}


def action_url(request, person: Person) -> str:
    """The person's action link: their page with their action token, at the public address.

    Never a feed's address: calendar services keep those, and must not be able to act.
    """
    return public_route_url(request, "person", id=person.id, _query={"token": person.action_token})


@view_defaults(renderer="json")
class PeopleAPI:
    def __init__(self, request):
        self.request = request
        self.people = request.find_service(PersonService)
        self.tz = zone(request.plantao_settings.timezone)

    def person(self):
        return self.people.get(path_int(self.request, "id"))

    def _json(self, person: Person, policy=None) -> dict:
        """``person`` as this reader sees them: the hourly rate is an owner's ("payroll") only."""
        body = person_json(person) if policy is None else person_json(person, policy)
        if self.request.has_permission("payroll"):
            body["hourly_rate"] = rate_json(person)
        return body

    def _body(self) -> dict:
        body = json_body(self.request)
        if isinstance(body, dict) and "hourly_rate" in body and not self.request.has_permission("payroll"):
            raise HTTPForbidden(result=Denied("Only an owner sets hourly rates."))
        return body

    @documented("listPeople", "PersonList", "a page of people", params=("limit", "cursor", "active"), errors=(400,))
    @view_config(route_name="api.people", request_method="GET", permission="view")
    def list(self):
        """People."""
        size = limit(self.request)
        active = self.request.params.get("active")
        if active not in (None, "true", "false"):
            raise BadRequest(
                f"active must be true or false, got {active!r}.", code="filter.active", params={"value": active}
            )
        found = self.people.list(
            after_id(self.request), size + 1, None if active is None else active == "true"
        )
        policy = contacts(self.request)
        items, next_cursor = page(found, size, lambda p: self._json(p, policy))
        return {"people": items, "next": next_cursor}

    @documented(
        "createPerson", "Person", "created", status=201, location=True, body="PersonCreate", errors=(400, 422)
    )
    @view_config(route_name="api.people", request_method="POST", permission="admin")
    def create(self):
        """Add a person."""
        person = self.people.create(self._body())
        self.request.response.status = 201
        self.request.response.location = self.request.route_url("api.person", id=person.id)
        return self._json(person)

    @documented("getPerson", "Person", "the person", errors=(404,))
    @view_config(route_name="api.person", request_method="GET", permission="view")
    def get(self):
        """A person."""
        return self._json(self.person(), contacts(self.request))

    @documented("updatePerson", "Person", "the changed person", body="PersonUpdate", errors=(400, 404, 422))
    @view_config(route_name="api.person", request_method="PATCH", permission="admin")
    def update(self):
        """Change a person."""
        return self._json(self.people.update(self.person(), self._body()))

    @documented("deactivatePerson", "Person", "the deactivated person", errors=(404,))
    @view_config(route_name="api.person", request_method="DELETE", permission="admin")
    def deactivate(self):
        """Deactivate a person: out of future shifts, history kept (never erased).

        People are deactivated, never erased: their history stays.
        """
        return self._json(self.people.deactivate(self.person()))

    @documented("listLeave", "LeaveList", "a page of leave", params=("limit", "cursor"), errors=(400, 404))
    @view_config(route_name="api.leaves", request_method="GET", permission="view")
    def leaves(self):
        """A person's leave."""
        size = limit(self.request)
        found = self.people.leaves(self.person(), after_id(self.request), size + 1)
        items, next_cursor = page(found, size, lambda leave: leave_json(leave, self.tz))
        return {"leave": items, "next": next_cursor}

    @documented("createLeave", "Leave", "created", status=201, body="LeaveCreate", errors=(400, 404, 409, 422))
    @view_config(route_name="api.leaves", request_method="POST", permission="admin")
    def add_leave(self):
        """Add leave; dates are read in PLANTAO_TIMEZONE."""
        leave = self.people.add_leave(self.person(), json_body(self.request))
        self.request.response.status = 201
        return leave_json(leave, self.tz)

    @documented("deleteLeave", errors=(404,))
    @view_config(route_name="api.leave", request_method="DELETE", permission="admin")
    def delete_leave(self):
        """Remove leave."""
        person = self.person()
        self.people.delete_leave(person, self.people.get_leave(person, path_int(self.request, "leave_id")))
        return no_content(self.request)

    @documented(
        "rotatePersonActionToken", ACTION_LINK_RESPONSE, errors=(404,), security=WRITE_SECURITY,
    )
    @view_config(route_name="api.person.action_token", request_method="POST", permission="accounts")
    def rotate_action_token(self):
        """A new secret for the person's action link; the old link stops working at once.

        Owners only. The action link opens the person's own page, notification
        preferences and cover and swap requests; their feed links are not changed.
        """
        person = self.people.rotate_action_token(self.person())
        return {"person": person.id, "action_url": action_url(self.request, person)}
