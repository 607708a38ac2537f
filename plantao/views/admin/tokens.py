"""API tokens in the admin panel: list, create (the secret shown once), revoke.

Only owners (permission ``accounts``) see this page.  A new token's secret
is shown once, in the body of the answer to the form that created it: never
in a flash (the session cookie carries flashes), never in a URL (URLs end
up in logs and histories), and the answer is not to be cached.
"""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...datetimes import DateTimeError, parse_form_instant, utcnow, zone
from ...services.errors import Invalid, NotFound
from ...services.teams import TeamService
from ...services.tokens import SCOPES, TOKEN_CREATE_SCHEMA, TokenService
from ..api import path_int
from . import AdminView, admin_template, translate_error
from .forms import Field, all_errors, form_instant, text, unplaced, with_errors

#: How each scope reads in the panel (msgids of ``plantao_admin``).
SCOPE_LABELS = {
    "read": "Read the roster",
    "write": "Change the roster",
    "notifications": "Manage notifications",
}


def token_body(post, timezone: str) -> dict:
    """The service's token body from the posted form.

    A browser posts ``expires_at`` as a wall-clock time without offset, and
    a person may type ``DD/MM/AAAA HH:MM``; the panel reads either in the
    instance's zone and sends it with its offset, and leaves anything else
    as typed (see :meth:`TokenViews.problems`).
    """
    body: dict = {
        "name": text(post, "name"),
        "scopes": [scope for scope in post.getall("scopes") if scope.strip()],
        "teams": [slug for slug in post.getall("teams") if slug.strip()],
    }
    expires = text(post, "expires_at")
    if expires:
        body["expires_at"] = expires
        try:
            body["expires_at"] = parse_form_instant(expires, zone(timezone)).astimezone(zone(timezone)).isoformat()
        except DateTimeError:
            pass
    return body


@view_defaults(route_name="admin.tokens", permission="accounts", renderer=admin_template("tokens.pt"))
class TokenViews(AdminView):
    section = "tokens"

    def tokens(self) -> TokenService:
        return self.request.find_service(TokenService)

    def render(self, values: dict, errors=None, general=None, created=None, secret: str | None = None) -> dict:
        _ = self._
        teams = self.request.find_service(TeamService).by_name()
        timezone = self.request.plantao_settings.timezone
        now = utcnow()
        fields = with_errors(
            [
                Field("name", _("Name"), value=values.get("name", ""), required=True, attrs={"maxlength": "200"},
                      help=_("What uses it, e.g. the monitoring integration.")),
                Field("scopes", _("Scopes"), widget="checkboxes", value=list(values.get("scopes") or []),
                      options=[(scope, _(SCOPE_LABELS[scope])) for scope in SCOPES]),
                Field("teams", _("Teams"), widget="checkboxes", value=list(values.get("teams") or []),
                      options=[(team.slug, team.name) for team in teams],
                      help=_("None ticked: every team.")),
                Field("expires_at", _("Expires at"), widget="datetime-local",
                      value=values.get("expires_at_input", ""),
                      help=_("Optional, in the time zone ${zone}. Empty: never.", zone=timezone)),
            ],
            errors or {},
        )
        return self.page(
            tokens=self.tokens().list(),
            fields=fields,
            general_errors=list(general or []) + unplaced(fields, errors or {}),
            created=created,
            secret=secret,
            scope_label=lambda scope: _(SCOPE_LABELS.get(scope, scope)),
            expired=lambda token: token.expires_at is not None and token.expires_at <= now,
        )

    def problems(self, body: dict, expires: str) -> tuple[dict, list]:
        """Every problem of the posted form at once: the schema's, and the expiry the service
        checks after it (readable, in the future), which it would report in a second round."""
        found: dict[str, list[str]] = {}
        if expires:
            moment = form_instant(self._, expires, zone(self.request.plantao_settings.timezone), found, "expires_at")
            if moment is not None and moment <= utcnow():
                found["expires_at"] = [translate_error(self._, "not_in_future", {"value": expires}, "")]
        return all_errors(self._, TOKEN_CREATE_SCHEMA, body, found)

    @view_config(request_method="GET")
    def list(self):
        return self.render({})

    @view_config(request_method="POST")
    def create(self):
        post = self.request.POST
        body = token_body(post, self.request.plantao_settings.timezone)
        values = {**body, "expires_at_input": text(post, "expires_at")}
        errors, general = self.problems(body, text(post, "expires_at"))
        if errors or general:
            self.request.response.status = 422
            return self.render(values, errors, general)
        try:
            token, secret = self.tokens().create(body)
        except Invalid as error:
            errors, general = self.failed(error)
            return self.render(values, errors, general)
        # The secret is in this answer only: no shared cache nor the browser's may keep it.
        self.request.response.cache_control = "no-store"
        return self.render({}, created=token, secret=secret)

    @view_config(route_name="admin.token.revoke", request_method="POST")
    def revoke(self):
        service = self.tokens()
        token = service.get(path_int(self.request, "id"))
        try:
            service.revoke(token)
        except NotFound as error:
            # Revoked meanwhile (another tab, the API): say so on the list.
            self.flash_failure(error)
        else:
            self.flash(self._("Token ${name} revoked: it opens nothing any more.", name=token.name))
        return self.redirect("admin.tokens")
