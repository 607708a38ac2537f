"""Logging in and out of the admin panel (and of a private roster).

With an email, the form checks that account's password
(:mod:`plantao.services.accounts`).  Without one it takes either built-in
password: ``ADMIN_PASSWORD`` opens the panel, ``VIEWER_PASSWORD`` (with
``PUBLIC_ROSTER=false``) only the public pages.  A viewer is sent back to
where they came from and never into /admin; a team admin to the calendar of
their first team.
"""

from __future__ import annotations

import math

from pyramid.csrf import new_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import exception_view_config, view_config

from ...i18n import safe_next
from ...security import (
    ACCOUNT_ROLES,
    ACCOUNT_SUBJECT,
    ADMIN,
    TEAM_ADMIN,
    TooManyAttempts,
    client_address,
    identify_password,
)
from ...services.login import LoginThrottle, account_key
from ..errors import json_error, wants_json
from . import AdminView, Translator, admin_template


def local_next(raw: str | None) -> str | None:
    """The local path to return to, if the form names a safe one."""
    return raw if raw and safe_next(raw) == raw else None


class AuthViews(AdminView):
    def form(self, error: str = "", status: int = 200) -> dict:
        self.request.response.status = status
        next_path = local_next(self.request.params.get("next")) or ""
        return self.page(
            error=error,
            next=next_path,
            email=(self.request.POST.get("email") or "").strip() if self.request.method == "POST" else "",
            viewer_only=not self.request.plantao_settings.public_roster and not next_path.startswith("/admin"),
        )

    @view_config(route_name="admin.login", request_method="GET", renderer=admin_template("login.pt"))
    def login_form(self):
        identity = self.request.plantao_identity
        if identity and identity["role"] == ADMIN and not self.request.params.get("next"):
            return self.redirect("admin")
        return self.form()

    @view_config(route_name="admin.login", request_method="POST", renderer=admin_template("login.pt"))
    def login(self):
        request = self.request
        throttle = request.find_service(LoginThrottle)
        address = client_address(request)
        email = (request.POST.get("email") or "").strip()
        # An account's failures count from every address, besides the address's own.
        keys = [address, account_key(email)] if email else [address]
        wait = max(throttle.locked_for(key) for key in keys)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            request.response.headers["Retry-After"] = str(math.ceil(wait))
            return self.form(
                self._("Too many failed attempts. Try again in ${minutes} min.", minutes=minutes), status=429
            )
        account = None
        if email:
            account = request.registry.account_directory.authenticate(email, request.POST.get("password") or "")
            if account is None:
                throttle.failed(keys[1], delay=False)
                throttle.failed(address)
                return self.form(self._("Wrong email or password."), status=401)
            role = ACCOUNT_ROLES[account.role]
        else:
            role = identify_password(request.POST.get("password"), request.plantao_settings)
            if role is None:
                throttle.failed(address)
                return self.form(self._("Wrong password."), status=401)
        if role == ADMIN or account is not None:
            # Only a password of one's own, or the strongest shared one, wipes
            # the slate: a viewer's shared password must not buy an address
            # more guesses at the admin one.
            for key in keys:
                throttle.succeeded(key)
        # A fresh session (and CSRF token) on every login: a session fixed
        # before it by somebody else is worth nothing after it.
        forget(request)
        request.session.invalidate()
        new_csrf_token(request)
        if account is not None:
            headers = remember(request, f"{ACCOUNT_SUBJECT}{account.id}", account_id=account.id)
        else:
            headers = remember(request, role)
        next_path = local_next(request.POST.get("next"))
        if role == ADMIN:
            target = next_path or request.route_url("admin")
        elif role == TEAM_ADMIN:
            first = account.team_slugs[0] if account.team_slugs else None
            default = request.route_url("admin.calendar", slug=first) if first else request.route_url("home")
            target = next_path or default
        else:
            # The panel stays admin-only: a viewer goes back to the pages.
            target = next_path if next_path and not next_path.startswith("/admin") else request.route_url("home")
        return HTTPSeeOther(target, headers=headers)

    @view_config(route_name="admin.logout", request_method="POST")
    def logout(self):
        forget(self.request)
        self.request.session.invalidate()
        self.flash(self._("You are logged out."))
        return self.redirect("admin.login")

    @view_config(route_name="admin", permission="admin")
    def index(self):
        return self.redirect("admin.teams")


@exception_view_config(TooManyAttempts)
def too_many_attempts(exc, request):
    """A locked-out address's bearer token: 429 with Retry-After, the answer never given."""
    headers = {"Retry-After": str(exc.wait_seconds)}
    if wants_json(request):
        return json_error(
            request, 429, exc.detail, details={"retry_after_seconds": exc.wait_seconds}, headers=headers
        )
    response = request.response
    response.status = 429
    response.headers.update(headers)
    response.content_type = "text/plain"
    minutes = max(1, math.ceil(exc.wait_seconds / 60))
    # Translator, not AdminView: a view would resolve the identity, which raised this.
    response.text = Translator(request)("Too many failed attempts. Try again in ${minutes} min.", minutes=minutes)
    return response


@exception_view_config(BadCSRFToken, renderer=admin_template("csrf.pt"))
def bad_csrf_token(exc, request):
    """A form without this session's token: expired, or posted from another site."""
    if wants_json(request):
        return json_error(
            request, 400, "Missing or wrong CSRF token: send X-CSRF-Token, or use Authorization: Bearer."
        )
    view = AdminView(request)
    request.response.status = 400
    return view.page(logged_in=False)
