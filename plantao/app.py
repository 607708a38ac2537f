"""Assembling the Pyramid application from validated settings."""

from __future__ import annotations

import logging

from pyramid.config import Configurator

from . import caches
from .config import Settings, load_settings
from .plugins import PluginRegistry, build_registry
from .request_body import RequestBodyLimit
from .security import needs_csrf_check
from .template_compilation import serialize_compilation

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
        # One session per request, committed by pyramid_tm, retried by pyramid_retry.
        config.include(".db")
        # The caches built on the roster revision, dropped when a roster change commits.
        config.include(".caches")
        # Bearer tokens and server-side sessions; the login throttle; view/admin permissions.
        config.include(".security")
        # Every unsafe request must carry the session's CSRF token: a session
        # cookie is ambient authority a hostile page could borrow.  Requests
        # a bearer token authenticated are exempt: a browser never sends one
        # on its own, so API clients need no token.
        config.set_default_csrf_options(require_csrf=True, callback=needs_csrf_check)
        # Chameleon renders the pages from the templates folder, compiling
        # each one at a time (concurrent compiles can fail on CPython 3.11).
        config.include("pyramid_chameleon")
        serialize_compilation()
        # Pages speak pt-BR or English: catalogues, the visitor's choice, Babel dates.
        config.include(".i18n")
        # Every URL of the application, in one place.
        config.include(".routes")
        # serve may listen before its database answers: 503 until it does.
        config.include(".readiness")
        # The one door from views to services: request.find_service(TeamService).
        config.include(".views.services")
        config.scan(".views")
    # Calendar clients' 304s are answered in front of Pyramid.
    app = caches.wrap(config.make_wsgi_app(), config.registry)
    # Oversized and unframed bodies are refused before anything reads them.
    return RequestBodyLimit(app, config.registry, settings.max_request_body_bytes)


def main(global_config=None, **ini_settings):
    """PasteDeploy entry point: the configuration still comes from the environment."""
    return make_app(load_settings())
