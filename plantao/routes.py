"""Every URL of Plantão.  Reading this file tells the whole URL space."""

from __future__ import annotations



def includeme(config) -> None:
    config.add_static_view("static", "plantao:static", cache_max_age=86400)

    # Probes for systemd, Caddy and monitoring.
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")

    # Public pages.
    config.add_route("home", "/")
