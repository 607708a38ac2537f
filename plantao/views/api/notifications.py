"""/api/v1 notifications: channels per team, team timings, preferences, deliveries.

A person's own preferences are also open to whoever holds their secret
link (``?token=<feed_token>``), which the self-service page uses.
"""

from __future__ import annotations

from pyramid.csrf import check_csrf_token
from pyramid.httpexceptions import HTTPForbidden
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config, view_defaults

from ...security import ADMIN, same_secret
from ...services.errors import BadRequest
from ...services.notification_settings import DELIVERY_STATUSES, NotificationService, delivery_json
from ...services.people import PersonService
from ...services.teams import TeamService
from ..preferences import own_link_context
from . import after_id, json_body, limit, no_content, page, path_int, service_context


@view_defaults(renderer="json")
class NotificationsAPI:
    def __init__(self, request):
        self.request = request
        self.ctx = service_context(request)
        self.notifications = NotificationService(self.ctx)

    def team(self):
        return TeamService(self.ctx).get(self.request.matchdict["slug"])

    # -- channels --------------------------------------------------------------------

    @view_config(route_name="api.notification_channels", request_method="GET", permission="admin")
    def list_channels(self):
        return {"channels": [self.notifications.channel_json(c) for c in self.notifications.channels(self.team())]}

    @view_config(route_name="api.notification_channel", request_method="GET", permission="admin")
    def get_channel(self):
        config = self.notifications.channel(self.team(), self.request.matchdict["channel"])
        return self.notifications.channel_json(config)

    @view_config(route_name="api.notification_channel", request_method="PUT", permission="admin")
    def put_channel(self):
        config = self.notifications.put_channel(self.team(), self.request.matchdict["channel"], json_body(self.request))
        return self.notifications.channel_json(config)

    @view_config(route_name="api.notification_channel", request_method="DELETE", permission="admin")
    def delete_channel(self):
        self.notifications.delete_channel(self.team(), self.request.matchdict["channel"])
        return no_content(self.request)

    @view_config(route_name="api.notification_channel_test", request_method="POST", permission="admin")
    def test_channel(self):
        body = json_body(self.request) if self.request.body else {}
        return self.notifications.send_test(self.team(), self.request.matchdict["channel"], body)

    # -- team timings ------------------------------------------------------------------

    @view_config(route_name="api.notification_settings", request_method="GET", permission="admin")
    def get_settings(self):
        return self.notifications.team_settings_json(self.team())

    @view_config(route_name="api.notification_settings", request_method="PUT", permission="admin")
    def put_settings(self):
        return self.notifications.put_team_settings(self.team(), json_body(self.request))

    # -- a person's preferences: the admin, or the person through their secret link --

    def person(self):
        person = PersonService(self.ctx).get(path_int(self.request, "id"))
        identity = self.request.plantao_identity or {}
        if identity.get("role") == ADMIN:
            if self.request.method not in ("GET", "HEAD") and identity.get("credential", "").endswith("-session"):
                # A session cookie is ambient authority: writes with it need the CSRF token.
                check_csrf_token(self.request)
            return person
        if same_secret(self.request.params.get("token"), person.feed_token):
            self.notifications = NotificationService(own_link_context(self.ctx, person))
            return person
        raise HTTPForbidden("admin credentials or the person's own link (?token=) required")

    @view_config(route_name="api.notification_preferences", request_method="GET", permission=NO_PERMISSION_REQUIRED)
    def get_preferences(self):
        return self.notifications.preferences_json(self.person())

    # The secret link is a credential in the URL, never sent by a browser on
    # its own, so it needs no CSRF token; a session still does (see person()).
    @view_config(
        route_name="api.notification_preferences",
        request_method="PUT",
        permission=NO_PERMISSION_REQUIRED,
        require_csrf=False,
    )
    def put_preferences(self):
        person = self.person()
        return self.notifications.put_preferences(person, json_body(self.request))

    # -- deliveries ------------------------------------------------------------------------

    @view_config(route_name="api.notification_deliveries", request_method="GET", permission="admin")
    def deliveries(self):
        status = self.request.params.get("status")
        if status is not None and status not in DELIVERY_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(DELIVERY_STATUSES)}, got {status!r}.")
        slug = self.request.params.get("team")
        team = TeamService(self.ctx).get(slug) if slug else None
        size = limit(self.request)
        found = self.notifications.deliveries(status, team, after_id(self.request), size + 1)
        items, next_cursor = page(found, size, delivery_json)
        return {"deliveries": items, "next": next_cursor}

    @view_config(route_name="api.notification_delivery_retry", request_method="POST", permission="admin")
    def retry(self):
        delivery = self.notifications.delivery(path_int(self.request, "id"))
        return delivery_json(self.notifications.retry(delivery))
