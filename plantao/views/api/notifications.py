"""/api/v1 notifications: channels per team, team timings, preferences, deliveries.

A person's own preferences are also open to whoever holds their secret
link (``?token=<feed_token>``), which the self-service page uses.
"""

from __future__ import annotations

from pyramid.csrf import check_csrf_token
from pyramid.httpexceptions import HTTPForbidden
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config, view_defaults

from ...datetimes import utcnow, zone
from ...security import PERSON, same_secret
from ...services.errors import BadRequest
from ...services.notification_settings import DELIVERY_STATUSES, NotificationService, delivery_json
from ...services.people import PersonService, feed_link_opens_preferences
from ...services.teams import TeamService
from . import after_id, json_body, limit, no_content, page, path_int
from .documentation import OWN_LINK_SECURITY, documented


@view_defaults(renderer="json")
class NotificationsAPI:
    def __init__(self, request):
        self.request = request
        self.notifications = request.find_service(NotificationService)

    def team(self):
        return self.request.find_service(TeamService).get(self.request.matchdict["slug"])

    # -- channels --------------------------------------------------------------------

    @documented("listNotificationChannels", "ChannelConfigList", "the channels", errors=(404,))
    @view_config(route_name="api.notification_channels", request_method="GET", permission="admin")
    def list_channels(self):
        """A team's notification channels."""
        return {"channels": [self.notifications.channel_json(c) for c in self.notifications.channels(self.team())]}

    @documented("getNotificationChannel", "ChannelConfig", "the channel", errors=(404,))
    @view_config(route_name="api.notification_channel", request_method="GET", permission="admin")
    def get_channel(self):
        """One notification channel of a team."""
        config = self.notifications.channel(self.team(), self.request.matchdict["channel"])
        return self.notifications.channel_json(config)

    @documented(
        "putNotificationChannel", "ChannelConfig", "the channel", body="ChannelConfigPut", errors=(400, 404, 422)
    )
    @view_config(route_name="api.notification_channel", request_method="PUT", permission="admin")
    def put_channel(self):
        """Configure a channel for a team; params are checked against the plugin's params_schema."""
        config = self.notifications.put_channel(self.team(), self.request.matchdict["channel"], json_body(self.request))
        return self.notifications.channel_json(config)

    @documented("deleteNotificationChannel", errors=(404,))
    @view_config(route_name="api.notification_channel", request_method="DELETE", permission="admin")
    def delete_channel(self):
        """Remove a team's channel."""
        self.notifications.delete_channel(self.team(), self.request.matchdict["channel"])
        return no_content(self.request)

    @documented(
        "testNotificationChannel", "ChannelTestResult", "how it went", body="ChannelTest", errors=(400, 404, 422)
    )
    @view_config(route_name="api.notification_channel_test", request_method="POST", permission="admin")
    def test_channel(self):
        """Send a test message now to the team's destination (or to `person`)."""
        body = json_body(self.request) if self.request.body else {}
        return self.notifications.send_test(self.team(), self.request.matchdict["channel"], body)

    # -- team timings ------------------------------------------------------------------

    @documented("getNotificationSettings", "NotificationSettings", "the timings", errors=(404,))
    @view_config(route_name="api.notification_settings", request_method="GET", permission="admin")
    def get_settings(self):
        """A team's reminder, digest and gap timings."""
        return self.notifications.team_settings_json(self.team())

    @documented(
        "putNotificationSettings", "NotificationSettings", "the timings", body="NotificationSettingsPut",
        errors=(400, 404, 422),
    )
    @view_config(route_name="api.notification_settings", request_method="PUT", permission="admin")
    def put_settings(self):
        """Change a team's notification timings."""
        return self.notifications.put_team_settings(self.team(), json_body(self.request))

    # -- a person's preferences: the admin, or the person through their secret link --

    def person(self):
        person = self.request.find_service(PersonService).get(path_int(self.request, "id"))
        identity = self.request.plantao_identity or {}
        # Whether this credential may manage people is the security policy's to say.
        if self.request.has_permission("admin"):
            if self.request.method not in ("GET", "HEAD") and identity.get("scheme") == "session":
                # A session cookie is ambient authority: writes with it need the CSRF token.
                check_csrf_token(self.request)
            return person
        settings = self.request.plantao_settings
        own_link = identity.get("role") == PERSON and identity.get("person") == person.id
        # The feed token (the old personal link) opens them only until
        # FEED_LINK_PREFERENCES_UNTIL, as on the person's page.
        old_link = same_secret(self.request.params.get("token"), person.feed_token) and feed_link_opens_preferences(
            settings.feed_link_preferences_until, utcnow().astimezone(zone(settings.timezone)).date()
        )
        if own_link or old_link:
            self.notifications = self.notifications.through_own_link(person)
            return person
        raise HTTPForbidden("admin credentials or the person's own action link (?token=) required")

    @documented(
        "getNotificationPreferences", "NotificationPreferences", "the preferences", params=("personToken",),
        errors=(404,), security=OWN_LINK_SECURITY,
    )
    @view_config(route_name="api.notification_preferences", request_method="GET", permission=NO_PERMISSION_REQUIRED)
    def get_preferences(self):
        """A person's notification preferences."""
        return self.notifications.preferences_json(self.person())

    # The secret link is a credential in the URL, never sent by a browser on
    # its own, so it needs no CSRF token; a session still does (see person()).
    @documented(
        "updateNotificationPreferences", "NotificationPreferences", "the changed preferences",
        params=("personToken",), body="NotificationPreferencesPut", errors=(400, 404, 422),
        security=OWN_LINK_SECURITY,
    )
    @view_config(
        route_name="api.notification_preferences",
        request_method="PUT",
        permission=NO_PERMISSION_REQUIRED,
        require_csrf=False,
    )
    def put_preferences(self):
        """Change a person's notification preferences."""
        person = self.person()
        return self.notifications.put_preferences(person, json_body(self.request))

    # -- deliveries ------------------------------------------------------------------------

    @documented(
        "listDeliveries", "DeliveryList", "a page of deliveries",
        params=("limit", "cursor", "deliveryStatus", "deliveryTeam"), errors=(400, 404),
    )
    @view_config(route_name="api.notification_deliveries", request_method="GET", permission="admin")
    def deliveries(self):
        """Deliveries with their attempts (failed ones to retry)."""
        status = self.request.params.get("status")
        if status is not None and status not in DELIVERY_STATUSES:
            raise BadRequest(
                f"status must be one of {', '.join(DELIVERY_STATUSES)}, got {status!r}.",
                code="filter.status",
                params={"value": status, "options": ", ".join(DELIVERY_STATUSES)},
            )
        slug = self.request.params.get("team")
        team = self.request.find_service(TeamService).get(slug) if slug else None
        size = limit(self.request)
        found = self.notifications.deliveries(status, team, after_id(self.request), size + 1)
        items, next_cursor = page(found, size, delivery_json)
        return {"deliveries": items, "next": next_cursor}

    @documented("retryDelivery", "Delivery", "the delivery, pending again", errors=(404, 409))
    @view_config(route_name="api.notification_delivery_retry", request_method="POST", permission="admin")
    def retry(self):
        """Send a pending or given-up delivery again now."""
        delivery = self.notifications.delivery(path_int(self.request, "id"))
        return delivery_json(self.notifications.retry(delivery))
