"""Who is asking, and what they may do.

Two credentials exist: ``ADMIN_PASSWORD`` (everything) and, for a private
roster, ``VIEWER_PASSWORD`` (read only).  API clients send them as
``Authorization: Bearer <password>``; people log in through the pages and
get a signed session cookie.  Passwords are compared in constant time.

Permissions: ``view`` (reads: public unless ``PUBLIC_ROSTER=false``) and
``admin`` (writes, the audit log, the admin panel).
"""

from __future__ import annotations

import hmac

from pyramid.authorization import ALL_PERMISSIONS, Allow, Everyone  # noqa: F401  (documented vocabulary)
from pyramid.security import Allowed, Denied

ADMIN = "admin"
VIEWER = "viewer"
SESSION_KEY = "plantao.identity"
SESSION_COOKIE = "plantao_session"


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an unset secret never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def identify_password(password: str | None, settings) -> str | None:
    """The role a password grants, if any."""
    if same_secret(password, settings.admin_password):
        return ADMIN
    if same_secret(password, settings.viewer_password):
        return VIEWER
    return None


class PlantaoSecurityPolicy:
    """Pyramid security policy: bearer tokens first, then the session."""

    def identity(self, request) -> dict | None:
        return request.plantao_identity

    def authenticated_userid(self, request) -> str | None:
        identity = self.identity(request)
        return identity["role"] if identity else None

    def permits(self, request, context, permission):
        identity = self.identity(request)
        role = identity["role"] if identity else None
        if permission == "admin":
            return Allowed("admin") if role == ADMIN else Denied("admin credentials required")
        if permission == "view":
            if request.plantao_settings.public_roster or role in (ADMIN, VIEWER):
                return Allowed("view")
            return Denied("this roster is private: log in")
        return Denied(f"unknown permission {permission}")

    def remember(self, request, role: str, **kw):
        request.session[SESSION_KEY] = role
        return []

    def forget(self, request, **kw):
        request.session.pop(SESSION_KEY, None)
        return []


def _identity(request) -> dict | None:
    settings = request.plantao_settings
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        role = identify_password(token.strip(), settings)
        if role:
            return {"role": role, "credential": f"{role}-token"}
        return {"role": None, "credential": "invalid-token", "invalid": True}
    # Only open the signed session when the browser sent one.
    if SESSION_COOKIE not in request.cookies:
        return None
    role = request.session.get(SESSION_KEY)
    if role in (ADMIN, VIEWER):
        return {"role": role, "credential": f"{role}-session"}
    return None


def includeme(config) -> None:
    from pyramid.session import SignedCookieSessionFactory

    settings = config.registry.plantao_settings
    config.set_session_factory(
        SignedCookieSessionFactory(
            settings.session_secret,
            cookie_name=SESSION_COOKIE,
            httponly=True,
            samesite="Lax",
            # Behind Caddy the scheme arrives through X-Forwarded-Proto from
            # the trusted proxy; the cookie is then marked Secure.
            secure=bool(settings.domain_name) and settings.is_production,
            max_age=12 * 3600,
            timeout=12 * 3600,
        )
    )

    def plantao_identity(request):
        identity = _identity(request)
        return None if identity and identity.get("invalid") else identity

    config.add_request_method(plantao_identity, "plantao_identity", reify=True)
    config.add_request_method(
        lambda request: bool((_identity(request) or {}).get("invalid")), "invalid_credentials", reify=True
    )
    config.set_security_policy(PlantaoSecurityPolicy())
