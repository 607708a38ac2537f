"""Who is asking, and what they may do.

Two built-in credentials exist: ``ADMIN_PASSWORD`` (everything, the
built-in owner) and, for a private roster, ``VIEWER_PASSWORD`` (read only).
API clients send them as ``Authorization: Bearer <password>``.  Named
accounts (:mod:`plantao.services.accounts`) log in through the pages with
their email and password, with a role: ``owner`` (as the admin password),
``team_admin`` of chosen teams, or ``viewer``.  A login gets a server-side
session (see :mod:`plantao.services.login`) whose secret rides in a signed
cookie.  Passwords are compared in constant time, and wrong ones count
towards the client address's lockout.

Scripts use API tokens (:mod:`plantao.services.tokens`): ``Authorization:
Bearer plt_...``, within the token's scopes (``read``, ``write``,
``notifications``) and teams.

A person acts through their action link (``?token=`` with their
``action_token``, never their feed token) on the routes of
:data:`ACTION_LINK_ROUTES`: their own page and preferences, and cover and
swap requests.  An account linked to a person acts as that person too.

Permissions: ``view`` (reads: public unless ``PUBLIC_ROSTER=false``),
``admin`` (writes, the audit log, the admin panel) and ``accounts``
(accounts and tokens: owners only; a token never holds it), ``audit`` (the
audit log: owners, and team admins for their teams' entries) and
``request`` (making and answering cover and swap requests: a person, as
themselves; owners, team admins of the team and ``write`` tokens of the
team, for any person; see :func:`acting_person`).  They are
decided here and nowhere else.  ``admin`` on a route whose URL names a team
is a write to that team (under ``/notification...``, to its notification
settings): a team admin holds it for the teams they administer, a ``write``
token for its teams (``notifications`` tokens for the notification
settings), except deleting a team; a team admin also holds it on the API's
leave routes of their teams' members.  Every other ``admin`` route is an
owner's.
"""

from __future__ import annotations

import hmac
import math
from datetime import timedelta

from pyramid.authorization import ALL_PERMISSIONS, Allow, Everyone  # noqa: F401  (documented vocabulary)
from pyramid.httpexceptions import HTTPTooManyRequests
from pyramid.security import Allowed, Denied
from sqlalchemy.exc import SQLAlchemyError

from .services.account_directory import AccountDirectory, action_link_holder
from .services.login import IDLE_TIMEOUT, DatabaseFailureLog, LoginSessions, LoginThrottle
from .services.tokens import PREFIX as TOKEN_PREFIX
from .services.tokens import TokenDirectory
from .shared import register_shared

ADMIN = "admin"
VIEWER = "viewer"
TEAM_ADMIN = "team_admin"
TOKEN = "token"
PERSON = "person"

#: What each account role acts as.
ACCOUNT_ROLES = {"owner": ADMIN, "team_admin": TEAM_ADMIN, "viewer": VIEWER}

#: Team routes only an owner may use, though they name the team.
OWNER_ONLY_TEAM_ROUTES = {("api.team", "DELETE"), ("admin.team.delete", "POST")}
SESSION_KEY = "plantao.session"
SESSION_COOKIE = "plantao_session"

#: What a wrong bearer token resolves to: nobody, and worth saying so.
_INVALID = {"role": None, "credential": "invalid-token", "invalid": True}


class TooManyAttempts(HTTPTooManyRequests):
    """The client address is locked out after too many wrong passwords."""

    def __init__(self, wait: float):
        self.wait_seconds = max(1, math.ceil(wait))
        super().__init__(
            "Too many failed attempts from this address: try again later.",
            headers={"Retry-After": str(self.wait_seconds)},
        )


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


def client_address(request) -> str:
    """The address throttled and audited: waitress has already put the
    trusted proxy's ``X-Forwarded-For`` there, and nobody else's."""
    return request.client_addr or "unknown"


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
            if role == ADMIN:
                return Allowed("admin")
            if role == TEAM_ADMIN:
                kind, target = route_kind(request)
                if kind == "leave":
                    return _members_leave_permits(request, identity["teams"], target)
                return _team_write_permits(
                    request, kind, target, identity["teams"], ("team", "notifications"), "A team admin",
                    "A team admin may only change the teams they administer.",
                )
            if role == TOKEN:
                kind, target = route_kind(request)
                kinds = tuple(k for k, scope in (("team", "write"), ("notifications", "notifications"))
                              if scope in identity["scopes"])
                return _team_write_permits(
                    request, kind, target, identity["teams"], kinds, "This token",
                    "This token may not change this: it is limited to its scopes and teams.",
                )
            return Denied("This credential may only read: the admin credential is required.")
        if permission == "audit":
            if role == ADMIN:
                return Allowed("audit")
            if role == TEAM_ADMIN:
                return Allowed("audit, of their teams")
            return Denied("Only an owner, or a team admin for their teams, reads the audit log.")
        if permission == "request":
            if role == PERSON or (identity and identity.get("person")):
                if role == VIEWER:
                    return Denied("A viewer only reads.")
                return Allowed("a person, as themselves")
            return self.permits(request, context, "admin")
        if permission == "reports":
            # Figures about people's hours: owners see everything, team admins
            # and tokens their teams' (see report_teams); viewers see none.
            if role in (ADMIN, TEAM_ADMIN):
                return Allowed("reports")
            if role == TOKEN and identity["scopes"] & {"read", "write"}:
                return Allowed("reports, of the token's teams")
            return Denied("Only an owner, a team admin or a read token sees the reports.")
        if permission == "payroll":
            if role == ADMIN:
                return Allowed("payroll")
            return Denied("Only an owner closes a month or sees hourly rates.")
        if permission == "accounts":
            if role == ADMIN:
                return Allowed("accounts")
            return Denied("Only an owner manages accounts and tokens.")
        if permission == "view":
            if request.plantao_settings.public_roster or role in (ADMIN, VIEWER, TEAM_ADMIN):
                return Allowed("view")
            if role == TOKEN and identity["scopes"] & {"read", "write"}:
                return Allowed("view")
            if role == PERSON:
                return Denied("An action link opens its person's own page only.")
            return Denied("this roster is private: log in")
        return Denied(f"unknown permission {permission}")

    def remember(self, request, subject: str, account_id: int | None = None, **kw):
        """Open a server-side session for ``subject`` (a built-in role, or ``account:<id>``)
        and keep its secret in the cookie."""
        request.session[SESSION_KEY] = request.registry.login_sessions.open(
            subject, client_address(request), account_id=account_id
        )
        return []

    def forget(self, request, **kw):
        """End the session server-side: a copy of the cookie opens nothing any more."""
        request.registry.login_sessions.end(request.session.pop(SESSION_KEY, None))
        return []


def _authenticate(request) -> dict | None:
    settings = request.plantao_settings
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        throttle = request.registry.login_throttle
        recent = request.registry.login_sessions.recent
        address = client_address(request)
        # A locked-out address is refused even the right password: otherwise
        # guessing would go on, and the lockout would only hide the answer.
        secret = token.strip()
        tokens = request.registry.token_directory
        try:
            wait = throttle.locked_for(address)
        except SQLAlchemyError:
            # The database (and the lockout) is away: a password or a token
            # this process accepted lately still reads the roster from memory.
            if secret.startswith(TOKEN_PREFIX):
                record = tokens.find(secret)  # from memory, else the database's error
                if record is None:
                    raise
                return token_identity(record)
            role = recent.recall(secret)
            if role is None:
                raise
            return {"role": role, "credential": f"{role}-token", "scheme": "bearer"}
        if wait:
            raise TooManyAttempts(wait)
        if secret.startswith(TOKEN_PREFIX):
            record = tokens.find(secret)
            if record is not None:
                throttle.proven(address)
                tokens.touch(record.id, address)
                return token_identity(record)
            throttle.failed(address, kind="bearer", delay=False)
            return dict(_INVALID)
        role = identify_password(secret, settings)
        if role:
            if role == ADMIN:
                # Not the viewer's shared password: it must not buy guesses at the admin one.
                throttle.proven(address)
            recent.remember(secret, role)
            return {"role": role, "credential": f"{role}-token", "scheme": "bearer"}
        throttle.failed(address, kind="bearer", delay=False)
        return dict(_INVALID)
    holder = _action_link(request)
    if holder is not None:
        return holder
    # Only open the signed session when the browser sent one.
    if SESSION_COOKIE not in request.cookies:
        return None
    subject = request.registry.login_sessions.subject(request.session.get(SESSION_KEY))
    if subject in (ADMIN, VIEWER):
        return {"role": subject, "credential": f"{subject}-session", "scheme": "session"}
    if isinstance(subject, str) and subject.startswith(ACCOUNT_SUBJECT):
        account = request.registry.account_directory.find(int(subject[len(ACCOUNT_SUBJECT):]))
        if account is not None and account.active:
            return account_identity(account)
    return None


#: The routes a person's action link (``?token=``) opens, as that person.
ACTION_LINK_ROUTES = frozenset({
    "person", "person.preferences", "person.requests", "person.request.action", "request",
    "api.requests", "api.request", "api.request.action", "api.notification_preferences",
})


def _action_link(request) -> dict | None:
    """The person whose action link this request carries, on the routes it opens.

    A wrong token counts towards the address's lockout, like a wrong password:
    it is a guess at a secret.  On the person's page the ``token`` may also be
    their feed token (the old link, see :mod:`plantao.views.pages`): that one
    is not an action link and is left to the page.
    """
    route = request.matched_route
    if route is None or route.name not in ACTION_LINK_ROUTES:
        return None
    try:
        token = request.GET.get("token")
    except UnicodeDecodeError:
        return None
    if not token:
        return None
    throttle = request.registry.login_throttle
    address = client_address(request)
    wait = throttle.locked_for(address)
    if wait:
        raise TooManyAttempts(wait)
    holder = action_link_holder(request.registry["dbengine"], token)
    if holder is not None and holder.active:
        throttle.proven(address)
        return person_identity(holder)
    if route.name not in PAGES_WITH_FEED_TOKEN:
        throttle.failed(address, kind="action-link", delay=False)
        return dict(_INVALID)
    return None


#: Pages whose ``token`` may still be the person's feed token (the old links, see
#: :mod:`plantao.views.pages`): a miss there is not a guess at an action link.
PAGES_WITH_FEED_TOKEN = frozenset({"person", "person.preferences", "api.notification_preferences"})


def report_teams(request) -> frozenset[str] | None:
    """The slugs of the teams whose figures the credential may see in a report; ``None``: every team.

    An owner sees every team; a team admin, the teams they administer; a
    token, the teams it is limited to (``None`` when it is not).
    """
    identity = request.plantao_identity
    if not identity or identity["role"] == ADMIN:
        return None
    if identity["role"] in (TEAM_ADMIN, TOKEN):
        teams = identity.get("teams")
        return None if teams is None else frozenset(teams)
    return frozenset()


def person_identity(holder) -> dict:
    """The identity of a request made through a person's action link."""
    return {
        "role": PERSON,
        "credential": f"person:{holder.name}",
        "scheme": "action-link",
        "person": holder.id,
        "name": holder.name,
    }


def acting_person(request, requested: int | None) -> int | None:
    """The person a request to a cover or swap route acts as.

    Through an action link, or an account linked to a person, that person
    (``requested``, if given, must be them, unless the credential may also act
    for others).  A credential that writes to the team the route names (see
    :func:`may_act_for_others`) may act for anybody by naming them
    (``requested``).  None when the credential names nobody and is nobody.
    """
    own = (request.plantao_identity or {}).get("person")
    if requested is None or requested == own:
        return own
    return requested if may_act_for_others(request) else None


def may_act_for_others(request) -> bool:
    """Whether the credential writes to the roster of the team the route names (``admin`` there:
    an owner, a team admin of it, a ``write`` token of it), so may act for any of its people."""
    return bool(request.has_permission("admin"))


#: How a session names the account it belongs to.
ACCOUNT_SUBJECT = "account:"

def token_identity(token) -> dict:
    """The identity of a request an API token authenticated: its scopes and teams, its name for the audit log."""
    return {
        "role": TOKEN,
        "credential": f"token:{token.name}",
        "scheme": "bearer",
        "token": token.id,
        "scopes": frozenset(token.scopes),
        "teams": frozenset(token.team_slugs) or None,
    }


def account_identity(account) -> dict:
    """The identity of a logged-in account: its role, and its name for the audit log."""
    return {
        "role": ACCOUNT_ROLES[account.role],
        "credential": f"account:{account.email}",
        "scheme": "session",
        "account": account.id,
        "name": account.name,
        "teams": frozenset(account.team_slugs),
        "person": account.person_id,
    }


#: The API routes of a person's leave: a team admin manages the leave of their teams' members.
LEAVE_ROUTES = {"api.leaves", "api.leave"}


def route_kind(request) -> tuple[str, str | None]:
    """What a route writes to: ``("team", slug)``, ``("notifications", slug)`` (the team's
    notification settings), ``("leave", person id)`` (a person's leave, through the API) or
    ``("global", None)`` (people, the audit log...)."""
    route = request.matched_route
    matchdict = request.matchdict or {}
    if route is not None and route.name in LEAVE_ROUTES:
        return "leave", matchdict.get("id")
    slug = matchdict.get("slug")
    if route is None or slug is None:
        return "global", None
    return ("notifications" if "/notification" in route.pattern else "team"), slug


def _members_leave_permits(request, teams: frozenset[str], person: str | None):
    """A team admin's write to the leave of ``person``: allowed when they are a member of one of
    ``teams`` (in any version of its rotations, or its fallback), as the roster in memory has it."""
    snapshot = request.registry.read_model.current()
    rosters = [snapshot.team(slug) for slug in teams] if snapshot is not None else []
    if person is not None and person.isdigit() and any(
        roster is not None and int(person) in roster.members for roster in rosters
    ):
        return Allowed("team admin, a member's leave")
    return Denied("A team admin may only change the leave of their teams' members.")


def _team_write_permits(
    request, kind: str, slug: str | None, teams: frozenset[str] | None, kinds: tuple[str, ...], who: str,
    outside: str,
):
    """``admin`` on a route of ``kind`` naming team ``slug`` (see :func:`route_kind`), for a
    credential limited to ``teams`` (``None``: every team) and to routes of ``kinds``; ``outside``
    is the refusal for a team route beyond them."""
    if kind in ("global", "leave"):
        return Denied(f"{who} may not do this: only an owner may.")
    if kind not in kinds or (teams is not None and slug not in teams):
        return Denied(outside)
    if (request.matched_route.name, request.method) in OWNER_ONLY_TEAM_ROUTES:
        return Denied("Only an owner may delete a team.")
    return Allowed(who)


def needs_csrf_check(request) -> bool:
    """Whether an unsafe request must carry the session's CSRF token.

    Only a bearer token that actually authenticated the request exempts it:
    a browser never sends one on its own.  Any other ``Authorization``
    header leaves the session cookie in charge, and a cookie is ambient
    authority a hostile page could borrow.
    """
    identity = request.plantao_identity
    # An action link's secret is in the URL, not ambient in the browser: a
    # page that could forge the request already holds the secret.
    return not (identity and identity.get("scheme") in ("bearer", "action-link"))


def _session_factory(settings):
    from pyramid.session import SignedCookieSessionFactory

    idle = int(IDLE_TIMEOUT.total_seconds())
    options = dict(cookie_name=SESSION_COOKIE, httponly=True, samesite="Lax", max_age=idle, timeout=idle)
    plain = SignedCookieSessionFactory(settings.session_secret, secure=False, **options)
    secure = SignedCookieSessionFactory(settings.session_secret, secure=True, **options)
    always_secure = bool(settings.domain_name) and settings.is_production

    def session_factory(request):
        # Behind Caddy the scheme arrives through X-Forwarded-Proto from the
        # trusted proxy (waitress makes it the request's scheme, and drops
        # anybody else's): a cookie that travelled over HTTPS stays there.
        return (secure if always_secure or request.scheme == "https" else plain)(request)

    return session_factory


def includeme(config) -> None:
    settings = config.registry.plantao_settings
    engine = config.registry["dbengine"]
    config.set_session_factory(_session_factory(settings))
    # Wrong passwords and open sessions live in the database, so every
    # instance on it shares them.
    config.registry.login_throttle = LoginThrottle(DatabaseFailureLog(engine))
    config.registry.login_sessions = LoginSessions(engine, max_age=timedelta(hours=settings.session_max_age_hours))
    config.registry.account_directory = AccountDirectory(engine)
    config.registry.token_directory = TokenDirectory(engine)
    # The login view finds the throttle through the service door, like every service.
    register_shared(config, config.registry.login_throttle, LoginThrottle)

    def authentication(request):
        # Resolved once per request: a wrong password must count once.
        return _authenticate(request)

    def plantao_identity(request):
        identity = request.plantao_authentication
        return None if identity and identity.get("invalid") else identity

    def invalid_credentials(request):
        return bool((request.plantao_authentication or {}).get("invalid"))

    config.add_request_method(authentication, "plantao_authentication", reify=True)
    config.add_request_method(plantao_identity, "plantao_identity", reify=True)
    config.add_request_method(invalid_credentials, "invalid_credentials", reify=True)
    config.set_security_policy(PlantaoSecurityPolicy())
