"""People in the admin panel: list, create, edit, deactivate; owners also see, copy and rotate a
person's personal links (their calendar feed and their action link) to send to them."""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...models import Person
from ...services.contacts import InvalidPhone, normalize_phone
from ...services.errors import Conflict, Invalid
from ...services.feeds import FeedTokenService
from ...services.people import PERSON_CREATE_SCHEMA, PERSON_UPDATE_SCHEMA, PersonService, hourly_rate
from ...services.representations import person_json
from ..api import path_int
from ..api.feeds import feed_links
from ..api.people import action_url
from . import AdminView, admin_template, form_errors, translate_error
from .forms import Field, all_errors, number, optional_text, text, unplaced, with_errors


def person_body(post, creating: bool, rates: bool = False) -> dict:
    """The JSON API's person body from the posted form (blank contacts are cleared).

    With ``rates`` (an owner's form) the hourly rate too: blank clears it, a
    decimal comma is read as the point.
    """
    body: dict = {"name": text(post, "name")}
    for name in ("email", "phone", "telegram_chat_id"):
        value = optional_text(post, name)
        if value is not None or not creating:
            body[name] = value
    chat = {}
    for line in (post.get("chat") or "").splitlines():
        network, _, handle = line.partition(":")
        if network.strip():
            chat[network.strip().lower()] = handle.strip()
    body["chat"] = chat
    if not creating:
        body["active"] = post.get("active") == "on"
    if rates and "hourly_rate" in post:
        raw = text(post, "hourly_rate").replace(",", ".")
        body["hourly_rate"] = number(raw, "number") if raw else None
    return body


def calendar_link(request, person: Person) -> dict | None:
    """The person's calendar feed with its secret: ``{"https": ..., "webcal": ...}``, or None
    when no calendar format is installed."""
    for link in feed_links(request, person=person):
        if link["webcal"]:
            return {"https": link["url"], "webcal": link["webcal"]}
    return None


@view_defaults(permission="admin")
class PeopleViews(AdminView):
    section = "people"

    def people(self) -> PersonService:
        return self.request.find_service(PersonService)

    def fields(self, values: dict, creating: bool) -> list[Field]:
        _ = self._
        fields = [
            Field("name", _("Name"), value=values.get("name") or "", required=True, attrs={"maxlength": "200"}),
            Field("email", _("E-mail"), widget="email", value=values.get("email") or "",
                  attrs={"autocomplete": "off"}),
            Field("phone", _("Phone"), widget="tel", value=values.get("phone") or "",
                  help=_("With country and area code, e.g. +55 11 91234-5678.")),
            Field("telegram_chat_id", _("Telegram chat id"), value=values.get("telegram_chat_id") or "",
                  help=_("For reminders through Telegram.")),
            Field("chat", _("Other chat handles"), widget="textarea",
                  value="\n".join(f"{k}: {v}" for k, v in (values.get("chat") or {}).items()),
                  help=_("One per line as network: handle, e.g. slack: U024BE7LH.")),
        ]
        if self.request.has_permission("payroll"):
            rate = values.get("hourly_rate")
            fields.append(
                Field("hourly_rate", _("Hourly rate"), value="" if rate is None else str(rate),
                      attrs={"inputmode": "decimal", "maxlength": "14"},
                      help=_("Money per hour, for the value column of the on-call hours report. Owners only."))
            )
        if not creating:
            fields.append(
                Field("active", _("Active (takes shifts)"), widget="checkbox", value=values.get("active", True),
                      help=_("Inactive people leave every future shift; their past shifts stay."))
            )
        return fields

    def render_form(self, values: dict, person: Person | None, errors=None, general=None) -> dict:
        fields = with_errors(self.fields(values, person is None), errors or {})
        # A person's action link acts as them, and their feed link shows their shifts with
        # contacts: an owner's to see, hand over and rotate (the permission of the API's rotation).
        shown = person is not None and bool(self.request.has_permission("accounts"))
        return self.page(
            person=person, fields=fields, general_errors=list(general or []) + unplaced(fields, errors or {}),
            action_url=action_url(self.request, person) if shown else None,
            calendar=calendar_link(self.request, person) if shown else None,
        )

    def problems(self, body: dict, creating: bool) -> tuple[dict, list]:
        """Every problem of the posted form at once: the schema's, and what the service reads
        itself after it (the phone number, the rate's cents), which it would report in a
        second round."""
        found: dict[str, list[str]] = {}
        try:
            normalize_phone(body.get("phone"))
        except InvalidPhone as error:
            found["phone"] = [translate_error(self._, error.code, error.params, str(error))]
        if isinstance(body.get("hourly_rate"), (int, float)):
            try:
                hourly_rate(body["hourly_rate"])
            except Invalid as error:
                found.update(form_errors(self._, error)[0])
        return all_errors(self._, PERSON_CREATE_SCHEMA if creating else PERSON_UPDATE_SCHEMA, body, found)

    @view_config(route_name="admin.people", renderer=admin_template("people.pt"))
    def list(self):
        people = self.people().everyone()
        return self.page(people=people)

    @view_config(route_name="admin.person.new", request_method="GET", renderer=admin_template("person_form.pt"))
    def new(self):
        return self.render_form({}, None)

    @view_config(route_name="admin.person.new", request_method="POST", renderer=admin_template("person_form.pt"))
    def create(self):
        body = person_body(self.request.POST, creating=True, rates=bool(self.request.has_permission("payroll")))
        errors, general = self.problems(body, creating=True)
        if errors or general:
            self.request.response.status = 422
            return self.render_form(body, None, errors, general)
        try:
            person = self.people().create(body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form(body, None, errors, general)
        self.flash(self._("${name} added.", name=person.name))
        return self.redirect("admin.people")

    def person(self) -> Person:
        return self.people().get(path_int(self.request, "id"))

    @view_config(route_name="admin.person", request_method="GET", renderer=admin_template("person_form.pt"))
    def edit(self):
        person = self.person()
        values = person_json(person)
        if person.hourly_rate is not None:
            values["hourly_rate"] = person.hourly_rate
        return self.render_form(values, person)

    @view_config(route_name="admin.person", request_method="POST", renderer=admin_template("person_form.pt"))
    def update(self):
        person = self.person()
        body = person_body(self.request.POST, creating=False, rates=bool(self.request.has_permission("payroll")))
        errors, general = self.problems(body, creating=False)
        if errors or general:
            self.request.response.status = 422
            return self.render_form(body, person, errors, general)
        try:
            self.people().update(person, body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form(body, person, errors, general)
        self.flash(self._("${name} saved.", name=person.name))
        return self.redirect("admin.people")

    @view_config(route_name="admin.person", request_method="POST", request_param="rotate=action-link",
                 permission="accounts")
    def rotate_action_link(self):
        """A new action link for the person (the old one stops working); the form shows it."""
        person = self.people().rotate_action_token(self.person())
        self.flash(self._("${name} has a new action link: the old one no longer works.", name=person.name))
        return self.redirect("admin.person", id=person.id, _anchor="action-link")

    @view_config(route_name="admin.person", request_method="POST", request_param="rotate=feed-link",
                 permission="accounts")
    def rotate_feed_link(self):
        """A new calendar (feed) link for the person (the old one stops working); the form shows it."""
        person = self.request.find_service(FeedTokenService).rotate_person(self.person())
        self.flash(self._("${name} has a new calendar link: the old one no longer works.", name=person.name))
        return self.redirect("admin.person", id=person.id, _anchor="feed-link")

    @view_config(route_name="admin.person.deactivate", request_method="POST")
    def deactivate(self):
        person = self.people().deactivate(self.person())
        self.flash(self._("${name} deactivated: out of every future shift.", name=person.name))
        return self.redirect("admin.people")
