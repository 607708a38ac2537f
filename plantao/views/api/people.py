"""/api/v1/people: people and their leave."""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...datetimes import zone
from ...services.errors import BadRequest
from ...services.people import PersonService
from ...services.representations import leave_json, person_json
from . import after_id, contacts, json_body, limit, no_content, page, path_int
from .documentation import documented


@view_defaults(renderer="json")
class PeopleAPI:
    def __init__(self, request):
        self.request = request
        self.people = request.find_service(PersonService)
        self.tz = zone(request.plantao_settings.timezone)

    def person(self):
        return self.people.get(path_int(self.request, "id"))

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
        items, next_cursor = page(found, size, lambda p: person_json(p, policy))
        return {"people": items, "next": next_cursor}

    @documented(
        "createPerson", "Person", "created", status=201, location=True, body="PersonCreate", errors=(400, 422)
    )
    @view_config(route_name="api.people", request_method="POST", permission="admin")
    def create(self):
        """Add a person."""
        person = self.people.create(json_body(self.request))
        self.request.response.status = 201
        self.request.response.location = self.request.route_url("api.person", id=person.id)
        return person_json(person)

    @documented("getPerson", "Person", "the person", errors=(404,))
    @view_config(route_name="api.person", request_method="GET", permission="view")
    def get(self):
        """A person."""
        return person_json(self.person(), contacts(self.request))

    @documented("updatePerson", "Person", "the changed person", body="PersonUpdate", errors=(400, 404, 422))
    @view_config(route_name="api.person", request_method="PATCH", permission="admin")
    def update(self):
        """Change a person."""
        return person_json(self.people.update(self.person(), json_body(self.request)))

    @documented("deactivatePerson", "Person", "the deactivated person", errors=(404,))
    @view_config(route_name="api.person", request_method="DELETE", permission="admin")
    def deactivate(self):
        """Deactivate a person: out of future shifts, history kept (never erased).

        People are deactivated, never erased: their history stays.
        """
        return person_json(self.people.deactivate(self.person()))

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
