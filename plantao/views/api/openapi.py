"""/api/v1/openapi.json: the API described as OpenAPI 3.1."""

from __future__ import annotations

from pyramid.view import view_config

from ...openapi import build_openapi
from ...routes import public_application_url


@view_config(route_name="api.openapi", request_method="GET", renderer="json", permission="view")
def openapi(request):
    """The OpenAPI document, with the public address (``DOMAIN_NAME``) in ``servers``."""
    return build_openapi(request.registry, public_application_url(request))
