"""Every URL of Plantão.  Reading this file tells the whole URL space."""

from __future__ import annotations

import re

API = "/api/v1"

# The one request answered from memory without a database transaction: see
# plantao.services.oncall.RosterCache.
_CACHED_ONCALL = re.compile(rf"^{API}/teams/[^/]+/oncall$")


def is_cached_read(request) -> bool:
    """True for ``GET .../oncall`` without ``at``: no transaction, no retry needed."""
    return (
        request.method in ("GET", "HEAD")
        and "at" not in request.GET
        and _CACHED_ONCALL.match(request.path_info) is not None
    )


def includeme(config) -> None:
    config.add_static_view("static", "plantao:static", cache_max_age=86400)

    # Probes for systemd, Caddy and monitoring.
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")

    # Public pages.
    config.add_route("home", "/")

    # JSON API: the names below are a contract with integrators.
    config.add_route("api.openapi", f"{API}/openapi.json")
    config.add_route("api.plugins", f"{API}/plugins")
    config.add_route("api.audit", f"{API}/audit")
    config.add_route("api.teams", f"{API}/teams")
    config.add_route("api.team", f"{API}/teams/{{slug}}")
    config.add_route("api.rotations.preview", f"{API}/teams/{{slug}}/rotations/preview")
    config.add_route("api.rotations", f"{API}/teams/{{slug}}/rotations")
    config.add_route("api.rotation", f"{API}/teams/{{slug}}/rotations/{{id:\\d+}}")
    config.add_route("api.overrides", f"{API}/teams/{{slug}}/overrides")
    config.add_route("api.override", f"{API}/teams/{{slug}}/overrides/{{id:\\d+}}")
    config.add_route("api.swaps", f"{API}/teams/{{slug}}/swaps")
    config.add_route("api.oncall", f"{API}/teams/{{slug}}/oncall")
    config.add_route("api.shifts", f"{API}/teams/{{slug}}/shifts")
    config.add_route("api.gaps", f"{API}/teams/{{slug}}/gaps")
    config.add_route("api.people", f"{API}/people")
    config.add_route("api.person", f"{API}/people/{{id:\\d+}}")
    config.add_route("api.leaves", f"{API}/people/{{id:\\d+}}/leave")
    config.add_route("api.leave", f"{API}/people/{{id:\\d+}}/leave/{{leave_id:\\d+}}")
