"""Assembling the Pyramid application from validated settings."""

from __future__ import annotations

import logging

from pyramid.config import Configurator

from .conditional import ConditionalFeeds
from .config import Settings, load_settings
from .plugins import PluginRegistry, build_registry
from .services.login import LoginThrottle
from .services.oncall import RosterCache

log = logging.getLogger(__name__)


def make_app(
    settings: Settings,
    *,
    plugins: PluginRegistry | None = None,
    engine=None,
):
    """Build the WSGI application.

    ``plugins`` and ``engine`` let tests and the CLI pass what they already
    built; by default the installed plugins are discovered and an engine is
    created from ``settings``.
    """
    with Configurator(settings={"plantao.env": settings.env}) as config:
        config.registry.plantao_settings = settings
        config.registry.plugins = plugins or build_registry()
        if engine is not None:
            config.registry["dbengine"] = engine
        config.add_request_method(lambda r: r.registry.plantao_settings, "plantao_settings", reify=True)
        config.add_request_method(lambda r: r.registry.plugins, "plugins", reify=True)
        config.registry.roster_cache = RosterCache()
        # Failed admin-panel logins, per client address (see services/login.py).
        config.registry.login_throttle = LoginThrottle()

        # One session per request, committed by pyramid_tm, retried by pyramid_retry.
        config.include(".db")
        # Bearer tokens and signed session cookies; view/admin permissions.
        config.include(".security")
        # Every unsafe request must carry the session's CSRF token: a signed
        # session cookie is ambient authority a hostile page could borrow.
        # Requests with an Authorization header are exempt: a bearer token is
        # never sent by a browser on its own, so API clients need no token.
        config.set_default_csrf_options(
            require_csrf=True, callback=lambda request: "Authorization" not in request.headers
        )
        # Chameleon renders the pages from the templates folder.
        config.include("pyramid_chameleon")
        # Pages speak pt-BR or English: catalogues, the visitor's choice, Babel dates.
        config.include(".i18n")
        # Every URL of the application, in one place.
        config.include(".routes")
        config.scan(".views")
    # Calendar clients' 304s are answered in front of Pyramid.
    app = config.registry.conditional_feeds = ConditionalFeeds(config.make_wsgi_app(), config.registry)
    return app


def main(global_config=None, **ini_settings):
    """PasteDeploy entry point: the configuration still comes from the environment."""
    return make_app(load_settings())
