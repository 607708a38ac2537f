"""/api/v1/people: people and their leave."""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...datetimes import zone
from ...services.errors import BadRequest
from ...services.people import PersonService
from ...services.representations import leave_json, person_json
from . import after_id, contacts, json_body, limit, no_content, page, path_int, service_context


@view_defaults(renderer="json")
class PeopleAPI:
    def __init__(self, request):
        self.request = request
        self.people = PersonService(service_context(request))
        self.tz = zone(request.plantao_settings.timezone)

    def person(self):
        return self.people.get(path_int(self.request, "id"))

    @view_config(route_name="api.people", request_method="GET", permission="view")
    def list(self):
        size = limit(self.request)
        active = self.request.params.get("active")
        if active not in (None, "true", "false"):
            raise BadRequest(f"active must be true or false, got {active!r}.")
        found = self.people.list(
            after_id(self.request), size + 1, None if active is None else active == "true"
        )
        policy = contacts(self.request)
        items, next_cursor = page(found, size, lambda p: person_json(p, policy))
        return {"people": items, "next": next_cursor}

    @view_config(route_name="api.people", request_method="POST", permission="admin")
    def create(self):
        person = self.people.create(json_body(self.request))
        self.request.response.status = 201
        self.request.response.location = self.request.route_url("api.person", id=person.id)
        return person_json(person)

    @view_config(route_name="api.person", request_method="GET", permission="view")
    def get(self):
        return person_json(self.person(), contacts(self.request))

    @view_config(route_name="api.person", request_method="PATCH", permission="admin")
    def update(self):
        return person_json(self.people.update(self.person(), json_body(self.request)))

    @view_config(route_name="api.person", request_method="DELETE", permission="admin")
    def deactivate(self):
        """People are deactivated, never erased: their history stays."""
        return person_json(self.people.deactivate(self.person()))

    @view_config(route_name="api.leaves", request_method="GET", permission="view")
    def leaves(self):
        size = limit(self.request)
        found = self.people.leaves(self.person(), after_id(self.request), size + 1)
        items, next_cursor = page(found, size, lambda leave: leave_json(leave, self.tz))
        return {"leave": items, "next": next_cursor}

    @view_config(route_name="api.leaves", request_method="POST", permission="admin")
    def add_leave(self):
        leave = self.people.add_leave(self.person(), json_body(self.request))
        self.request.response.status = 201
        return leave_json(leave, self.tz)

    @view_config(route_name="api.leave", request_method="DELETE", permission="admin")
    def delete_leave(self):
        person = self.person()
        self.people.delete_leave(person, self.people.get_leave(person, path_int(self.request, "leave_id")))
        return no_content(self.request)
