"""/api/v1/tokens: API tokens, which owners create, list and revoke."""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...services.tokens import TokenService, token_json
from . import json_body, no_content, path_int
from .documentation import WRITE_SECURITY, documented


@view_defaults(renderer="json")
class TokensAPI:
    def __init__(self, request):
        self.request = request
        self.tokens = request.find_service(TokenService)

    @documented("listApiTokens", "ApiTokenList", "every token, newest first", security=WRITE_SECURITY)
    @view_config(route_name="api.tokens", request_method="GET", permission="accounts")
    def list(self):
        """API tokens, revoked ones too, newest first; never their secrets."""
        return {"tokens": [token_json(token) for token in self.tokens.list()]}

    @documented(
        "createApiToken",
        "ApiTokenCreated",
        "created; the secret is in `token`, this once only",
        status=201,
        body="ApiTokenCreate",
        errors=(400, 422),
        security=WRITE_SECURITY,
    )
    @view_config(route_name="api.tokens", request_method="POST", permission="accounts")
    def create(self):
        """Create an API token; its secret is answered this once only.

        Send the secret as `Authorization: Bearer plt_...`. Only its hash is
        stored: a lost secret cannot be shown again; revoke the token and
        create another.
        """
        token, secret = self.tokens.create(json_body(self.request))
        self.request.response.status = 201
        return {**token_json(token), "token": secret}

    @documented("revokeApiToken", errors=(404,), security=WRITE_SECURITY)
    @view_config(route_name="api.token", request_method="DELETE", permission="accounts")
    def revoke(self):
        """Revoke an API token at once.

        The token stays listed with its `revoked_at`. Revoking it again
        answers 404: there is no live token of that id any more.
        """
        self.tokens.revoke(self.tokens.get(path_int(self.request, "id")))
        return no_content(self.request)
