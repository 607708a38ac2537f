"""Every URL of Plantão.  Reading this file tells the whole URL space."""

from __future__ import annotations

import re

from pyramid.interfaces import IRoutesMapper

API = "/api/v1"

#: The feeds: a team's or a person's shifts in an export format.  Their
#: patterns are those of these routes, below, and nowhere else.
FEED_ROUTES = ("api.team.export", "api.person.export")

# The requests answered from memory without a database transaction, by the
# caches of plantao.caches (feeds read the database, when they must,
# through short sessions of their own).
_CACHED_ONCALL = re.compile(rf"^{API}/teams/[^/]+/oncall$")
_ONCALL_SLUG = re.compile(rf"^{API}/teams/([a-z0-9][a-z0-9-]*)/oncall$")
#: The probes read no session (``/readyz`` asks the engine itself).
_PROBES = frozenset({"/healthz", "/readyz"})


def is_feed_path(registry, path: str) -> bool:
    """True when ``path`` (a ``PATH_INFO``) is a team's or a person's feed."""
    mapper = registry.getUtility(IRoutesMapper)
    return any(mapper.get_route(name).match(path) is not None for name in FEED_ROUTES)


def oncall_slug(path: str) -> str | None:
    """The team slug of a ``GET .../teams/{slug}/oncall`` path, else None."""
    match = _ONCALL_SLUG.match(path)
    return match.group(1) if match else None


def is_cached_read(request) -> bool:
    """True for ``GET .../oncall`` without ``at``, for feeds and for the probes: no transaction, no retry needed."""
    if request.method not in ("GET", "HEAD"):
        return False
    try:
        path = request.path_info
        wants_instant = "at" in request.GET
    except UnicodeDecodeError:
        # Not UTF-8: the application answers it (with a 400), not the cache.
        return False
    return (
        path in _PROBES
        or (not wants_instant and _CACHED_ONCALL.match(path) is not None)
        or is_feed_path(request.registry, path)
    )


def public_application_url(request) -> str:
    """The application's address as its users reach it.

    With ``DOMAIN_NAME`` set that is ``https://DOMAIN_NAME`` (Caddy serves
    it), whatever ``Host`` the request carried: a client chooses its Host
    header, and the links handed out (feed URLs, the OpenAPI ``servers``)
    must not point wherever it says.  Without it, the request's own address.
    """
    domain = request.plantao_settings.domain_name
    if not domain:
        return request.application_url
    return f"https://{domain}{request.script_name}"


def public_route_url(request, route_name: str, *elements, **kw) -> str:
    """``request.route_url`` at :func:`public_application_url`."""
    return request.route_url(route_name, *elements, _app_url=public_application_url(request), **kw)


def includeme(config) -> None:
    config.add_static_view("static", "plantao:static", cache_max_age=86400)

    # Probes for systemd, Caddy and monitoring.
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")

    # Public pages.
    config.add_route("home", "/")
    config.add_route("team", "/teams/{slug}")
    config.add_route("person", "/people/{id:\\d{1,10}}")
    # The person's own notification preferences, through their secret link.
    config.add_route("person.preferences", "/people/{id:\\d{1,10}}/preferences")
    # A cover or swap request: the page a notification's link opens.
    config.add_route("request", "/teams/{slug}/requests/{id:\\d{1,10}}")
    # The person's own requests, through their action link (or linked account).
    config.add_route("person.requests", "/people/{id:\\d{1,10}}/requests")
    config.add_route("person.request.action", "/people/{id:\\d{1,10}}/requests/{request_id:\\d{1,10}}/{action:accept|cancel}")
    config.add_route("language", "/lang/{code}")

    # Admin panel: HTML forms over the same services as the JSON API.
    config.add_route("admin", "/admin")
    config.add_route("admin.login", "/admin/login")
    config.add_route("admin.logout", "/admin/logout")
    config.add_route("admin.teams", "/admin/teams")
    config.add_route("admin.team.new", "/admin/teams/new")
    config.add_route("admin.team", "/admin/teams/{slug}")
    config.add_route("admin.team.delete", "/admin/teams/{slug}/delete")
    config.add_route("admin.calendar", "/admin/teams/{slug}/calendar")
    config.add_route("admin.calendar.replace", "/admin/teams/{slug}/calendar/replace")
    config.add_route("admin.calendar.swap", "/admin/teams/{slug}/calendar/swap")
    # The team's timeline where an admin acts: override a stretch of a shift, swap two (preview, then confirm).
    config.add_route("admin.timeline", "/admin/teams/{slug}/timeline")
    config.add_route("admin.timeline.override", "/admin/teams/{slug}/timeline/override")
    config.add_route("admin.timeline.swap", "/admin/teams/{slug}/timeline/swap")
    config.add_route("admin.rotations.pick", "/admin/rotations")
    config.add_route("admin.rotations", "/admin/teams/{slug}/rotations")
    config.add_route("admin.rotation.new", "/admin/teams/{slug}/rotations/new")
    config.add_route("admin.rotation", "/admin/teams/{slug}/rotations/{id:\\d{1,10}}")
    config.add_route("admin.rotation.delete", "/admin/teams/{slug}/rotations/{id:\\d{1,10}}/delete")
    config.add_route("admin.overrides.pick", "/admin/overrides")
    config.add_route("admin.overrides", "/admin/teams/{slug}/overrides")
    config.add_route("admin.override.delete", "/admin/teams/{slug}/overrides/{id:\\d{1,10}}/delete")
    config.add_route("admin.gaps.pick", "/admin/gaps")
    config.add_route("admin.gaps", "/admin/teams/{slug}/gaps")
    config.add_route("admin.people", "/admin/people")
    config.add_route("admin.person.new", "/admin/people/new")
    config.add_route("admin.person", "/admin/people/{id:\\d{1,10}}")
    config.add_route("admin.person.deactivate", "/admin/people/{id:\\d{1,10}}/deactivate")
    config.add_route("admin.leave", "/admin/leave")
    config.add_route("admin.leave.delete", "/admin/people/{id:\\d{1,10}}/leave/{leave_id:\\d{1,10}}/delete")
    config.add_route("admin.person.preferences", "/admin/people/{id:\\d{1,10}}/preferences")
    config.add_route("admin.notifications.pick", "/admin/notifications")
    config.add_route("admin.deliveries", "/admin/notifications/deliveries")
    config.add_route("admin.delivery.retry", "/admin/notifications/deliveries/{id:\\d{1,10}}/retry")
    config.add_route("admin.notifications", "/admin/teams/{slug}/notifications")
    config.add_route("admin.notification_settings", "/admin/teams/{slug}/notifications/settings")
    config.add_route("admin.channel", "/admin/teams/{slug}/notifications/channels/{channel}")
    config.add_route("admin.channel.delete", "/admin/teams/{slug}/notifications/channels/{channel}/delete")
    config.add_route("admin.channel.test", "/admin/teams/{slug}/notifications/channels/{channel}/test")
    config.add_route("admin.requests.pick", "/admin/requests")
    config.add_route("admin.requests", "/admin/teams/{slug}/requests")
    config.add_route("admin.request.action", "/admin/teams/{slug}/requests/{id:\\d{1,10}}/{action:approve|decline|cancel}")
    config.add_route("admin.accounts", "/admin/accounts")
    config.add_route("admin.account.new", "/admin/accounts/new")
    config.add_route("admin.account", "/admin/accounts/{id:\\d{1,10}}")
    config.add_route("admin.tokens", "/admin/tokens")
    config.add_route("admin.token.revoke", "/admin/tokens/{id:\\d{1,10}}/revoke")
    config.add_route("admin.audit", "/admin/audit")
    # Fair rosters: a team's fairness page, and the monthly on-call hours for payroll.
    config.add_route("admin.fairness.pick", "/admin/fairness")
    config.add_route("admin.fairness", "/admin/teams/{slug}/fairness")
    config.add_route("admin.reports.hours", "/admin/reports/hours")
    config.add_route("admin.plugins", "/admin/plugins")

    # JSON API: the names below are a contract with integrators.
    config.add_route("api.openapi", f"{API}/openapi.json")
    config.add_route("api.plugins", f"{API}/plugins")
    config.add_route("api.audit", f"{API}/audit")
    config.add_route("api.teams", f"{API}/teams")
    config.add_route("api.team", f"{API}/teams/{{slug}}")
    config.add_route("api.rotations.preview", f"{API}/teams/{{slug}}/rotations/preview")
    config.add_route("api.rotations", f"{API}/teams/{{slug}}/rotations")
    config.add_route("api.rotation", f"{API}/teams/{{slug}}/rotations/{{id:\\d{{1,10}}}}")
    config.add_route("api.overrides.preview", f"{API}/teams/{{slug}}/overrides/preview")
    config.add_route("api.overrides", f"{API}/teams/{{slug}}/overrides")
    config.add_route("api.override", f"{API}/teams/{{slug}}/overrides/{{id:\\d{{1,10}}}}")
    config.add_route("api.swaps.preview", f"{API}/teams/{{slug}}/swaps/preview")
    config.add_route("api.swaps", f"{API}/teams/{{slug}}/swaps")
    config.add_route("api.oncall", f"{API}/teams/{{slug}}/oncall")
    config.add_route("api.shifts", f"{API}/teams/{{slug}}/shifts")
    config.add_route("api.gaps", f"{API}/teams/{{slug}}/gaps")
    config.add_route("api.people", f"{API}/people")
    config.add_route("api.person", f"{API}/people/{{id:\\d{{1,10}}}}")
    config.add_route("api.leaves", f"{API}/people/{{id:\\d{{1,10}}}}/leave")
    config.add_route("api.leave", f"{API}/people/{{id:\\d{{1,10}}}}/leave/{{leave_id:\\d{{1,10}}}}")
    # Cover and swap requests (kind cover or swap), and what people do with them.
    config.add_route("api.requests", f"{API}/teams/{{slug}}/requests")
    config.add_route("api.request", f"{API}/teams/{{slug}}/requests/{{id:\\d{{1,10}}}}")
    config.add_route(
        "api.request.action", f"{API}/teams/{{slug}}/requests/{{id:\\d{{1,10}}}}/{{action:accept|cancel|approve|decline}}"
    )
    # Fairness of a team's roster, and the monthly on-call hours report for payroll.
    config.add_route("api.team.fairness", f"{API}/teams/{{slug}}/fairness")
    config.add_route("api.team.fairness_csv", f"{API}/teams/{{slug}}/fairness.csv")
    config.add_route("api.reports.hours", f"{API}/reports/hours")
    config.add_route("api.reports.hours_csv", f"{API}/reports/hours.csv")
    config.add_route("api.reports.hours_close", f"{API}/reports/hours/close")
    # API tokens (plt_...): owners only (permission "accounts").
    config.add_route("api.tokens", f"{API}/tokens")
    config.add_route("api.token", f"{API}/tokens/{{id:\\d{{1,10}}}}")

    # Notifications: channels per team, team timings, preferences, deliveries.
    config.add_route("api.notification_channels", f"{API}/teams/{{slug}}/notification-channels")
    config.add_route("api.notification_channel_test", f"{API}/teams/{{slug}}/notification-channels/{{channel}}/test")
    config.add_route("api.notification_channel", f"{API}/teams/{{slug}}/notification-channels/{{channel}}")
    config.add_route("api.notification_settings", f"{API}/teams/{{slug}}/notification-settings")
    config.add_route("api.notification_preferences", f"{API}/people/{{id:\\d{{1,10}}}}/notification-preferences")
    config.add_route("api.notification_deliveries", f"{API}/notifications/deliveries")
    config.add_route("api.notification_delivery_retry", f"{API}/notifications/deliveries/{{id:\\d{{1,10}}}}/retry")

    # Exports and calendar feeds: a team's or a person's shifts as ics, csv,
    # json or any installed export format; secret token links for private
    # rosters, rotated by admins (plantao/views/api/feeds.py).
    config.add_route("api.team.export", f"{API}/teams/{{slug}}/export.{{format}}")
    config.add_route("api.team.feeds", f"{API}/teams/{{slug}}/feeds")
    config.add_route("api.team.feed_token", f"{API}/teams/{{slug}}/feed-token")
    config.add_route("api.person.export", f"{API}/people/{{id:\\d{{1,10}}}}/export.{{format}}")
    config.add_route("api.person.feeds", f"{API}/people/{{id:\\d{{1,10}}}}/feeds")
    config.add_route("api.person.feed_token", f"{API}/people/{{id:\\d{{1,10}}}}/feed-token")
    # The secret of a person's action link (their page, preferences and requests): owners rotate it.
    config.add_route("api.person.action_token", f"{API}/people/{{id:\\d{{1,10}}}}/action-token")
