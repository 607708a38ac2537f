"""Accounts in the admin panel: list, create, edit, disable and enable, a new password.

Only owners (permission ``accounts``) see these pages.  Every change goes
through :class:`~plantao.services.accounts.AccountService`, as ``plantao
users`` does: it audits each change, and a new role or teams, a new
password or disabling the account end the account's login sessions in the
same transaction.  Passwords are never put back into a re-rendered form.
"""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...models import ROLES, Account
from ...passwords import weakness
from ...services.accounts import (
    ACCOUNT_CREATE_SCHEMA,
    ACCOUNT_UPDATE_SCHEMA,
    MAX_PASSWORD_LENGTH,
    TEAM_ROLES,
    AccountService,
)
from ...services.errors import Conflict, Invalid
from ...services.people import PersonService
from ...services.teams import TeamService
from ..api import path_int
from ..services import service_context
from . import AdminView, admin_template, translate_error
from .forms import Field, all_errors, number, text, unplaced, with_errors

#: How each role reads in the panel (msgids of ``plantao_admin``).
ROLE_LABELS = {"owner": "Owner", "team_admin": "Team admin", "viewer": "Viewer"}


def account_service(request) -> AccountService:
    """The request's :class:`AccountService`, ending sessions through the app's :class:`LoginSessions`.

    Built here rather than found: ``views/services.py`` builds services from
    the context alone, and this one also takes the login sessions.
    """
    return AccountService(service_context(request), request.registry.login_sessions)


def account_body(post, creating: bool) -> dict:
    """The service's account body from the posted form.

    Teams only count for a team admin: ticked boxes left behind after
    choosing another role are what the reader meant to drop.
    """
    body: dict = {"name": text(post, "name"), "role": text(post, "role")}
    if creating:
        body["email"] = text(post, "email")
        # Not stripped: spaces may be part of a password.
        body["password"] = post.get("password") or ""
    body["teams"] = [slug for slug in post.getall("teams") if slug.strip()] if body["role"] in TEAM_ROLES else []
    person = text(post, "person")
    body["person"] = number(person) if person else None
    return body


@view_defaults(permission="accounts")
class AccountViews(AdminView):
    section = "accounts"

    def accounts(self) -> AccountService:
        return account_service(self.request)

    def fields(self, values: dict, creating: bool) -> list[Field]:
        _ = self._
        teams = self.request.find_service(TeamService).by_name()
        people = self.request.find_service(PersonService).everyone()
        fields = [
            Field("name", _("Name"), value=values.get("name") or "", required=True, attrs={"maxlength": "200"}),
        ]
        if creating:
            fields += [
                Field("email", _("E-mail"), widget="email", value=values.get("email") or "", required=True,
                      help=_("The account logs in with it."), attrs={"autocomplete": "off", "maxlength": "320"}),
                Field("password", _("Password"), widget="password", required=True,
                      help=_("At least 12 characters, not a common password. Hand it over in person, "
                             "not by e-mail."), attrs={"autocomplete": "new-password"}),
            ]
        fields += [
            Field("role", _("Access profile"), widget="select", value=values.get("role") or "team_admin",
                  options=[(role, _(ROLE_LABELS[role])) for role in ROLES],
                  help=_("Owner: everything, accounts and tokens too. Team admin: the teams ticked below. "
                         "Viewer: reads only.")),
            Field("teams", _("Teams (for a team admin)"), widget="checkboxes", value=list(values.get("teams") or []),
                  options=[(team.slug, team.name) for team in teams]),
            Field("person", _("Linked person"), widget="select",
                  value="" if values.get("person") is None else values["person"],
                  options=[("", _("Nobody"))] + [(p.id, p.name) for p in people],
                  help=_("The account also acts as this person: their cover and swap requests.")),
        ]
        if not creating:
            fields += [
                Field("active", _("Active (may log in)"), widget="checkbox", value=values.get("active", True),
                      help=_("Disabling ends the account's sessions at once; it is kept for the audit log.")),
                Field("password", _("New password"), widget="password",
                      help=_("Leave empty to keep the current one. A new one ends the account's sessions."),
                      attrs={"autocomplete": "new-password"}),
            ]
        return fields

    def problems(self, body: dict, password: str, creating: bool) -> tuple[dict, list]:
        """Every problem of the posted form at once: the schema's, and what the service checks
        after it (the password's strength, a team admin's teams), which it would report in a
        second round.  ``password`` is the new one (empty: kept, when editing)."""
        _ = self._
        found: dict[str, list[str]] = {}
        if creating and not body["email"]:
            found["email"] = [_("This field is required.")]
        if creating and not password:
            found["password"] = [_("This field is required.")]
        elif password:
            # The reason in the service's words, never the password itself.
            reason = (f"is longer than {MAX_PASSWORD_LENGTH} characters" if len(password) > MAX_PASSWORD_LENGTH
                      else weakness(password))
            if reason is not None:
                found["password"] = [translate_error(_, "weak_password", {"reason": reason}, reason)]
        if body["role"] in TEAM_ROLES and not body["teams"]:
            found["teams"] = [translate_error(_, "teams_required", {}, "")]
        return all_errors(_, ACCOUNT_CREATE_SCHEMA if creating else ACCOUNT_UPDATE_SCHEMA, body, found)

    def render_form(self, values: dict, account: Account | None, errors=None, general=None) -> dict:
        fields = with_errors(self.fields(values, account is None), errors or {})
        return self.page(
            account=account, fields=fields, general_errors=list(general or []) + unplaced(fields, errors or {})
        )

    @view_config(route_name="admin.accounts", renderer=admin_template("accounts.pt"))
    def list(self):
        return self.page(accounts=self.accounts().list(), role_label=lambda role: self._(ROLE_LABELS[role]))

    @view_config(route_name="admin.account.new", request_method="GET", renderer=admin_template("account_form.pt"))
    def new(self):
        return self.render_form({}, None)

    @view_config(route_name="admin.account.new", request_method="POST", renderer=admin_template("account_form.pt"))
    def create(self):
        body = account_body(self.request.POST, creating=True)
        errors, general = self.problems(body, body["password"], creating=True)
        if errors or general:
            self.request.response.status = 422
            return self.render_form(body, None, errors, general)
        try:
            account = self.accounts().create(body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form(body, None, errors, general)
        self.flash(self._("Account ${email} created.", email=account.email))
        return self.redirect("admin.accounts")

    def account(self, service: AccountService) -> Account:
        return service.get(path_int(self.request, "id"))

    @view_config(route_name="admin.account", request_method="GET", renderer=admin_template("account_form.pt"))
    def edit(self):
        account = self.account(self.accounts())
        values = {"name": account.name, "role": account.role, "teams": [team.slug for team in account.teams],
                  "person": account.person_id, "active": account.active}
        return self.render_form(values, account)

    @view_config(route_name="admin.account", request_method="POST", renderer=admin_template("account_form.pt"))
    def update(self):
        service = self.accounts()
        account = self.account(service)
        post = self.request.POST
        body = account_body(post, creating=False)
        active = post.get("active") == "on"
        password = post.get("password") or ""
        errors, general = self.problems(body, password, creating=False)
        if errors or general:
            self.request.response.status = 422
            return self.render_form({**body, "active": active}, account, errors, general)
        try:
            service.update(account, body)
            if password:
                service.set_password(account, password)
            if active != account.active:
                (service.enable if active else service.disable)(account)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form({**body, "active": active}, account, errors, general)
        self.flash(self._("Account ${email} saved.", email=account.email))
        return self.redirect("admin.accounts")
