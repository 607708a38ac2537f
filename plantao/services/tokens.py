"""API tokens: named ``plt_...`` bearer secrets with scopes, optionally limited to teams.

Owners create, list and revoke them (:class:`TokenService`); the security
policy finds the token a request's ``Authorization: Bearer plt_...`` names
(:class:`TokenDirectory`).  The secret is ``plt_`` and 32 random bytes
(``secrets.token_urlsafe``), shown once, when the token is created; only
its SHA-256 is stored.  A salted slow hash (argon2, as for passwords) would
buy nothing here: it slows the guessing of human-chosen secrets, and 256
random bits cannot be guessed, while a plain digest can be looked up by its
unique index on every request.  Neither the secret nor its hash ever
reaches the audit log or an error message.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..datetimes import DateTimeError, parse_instant
from ..models import ApiToken, Team
from ..models.meta import utcnow
from ..models.token import api_token_teams
from . import audit
from .context import ServiceContext
from .errors import Detail, Invalid, NotFound
from .login import RecentlyValidated
from .response_schemas import DATE_TIME, closed_object, nullable, ref
from .teams import SLUG_PATTERN, teams_by_slug
from .validation import name_schema, validate

log = logging.getLogger(__name__)

#: What every token's secret starts with: it tells a token from a password
#: at a glance (and to secret scanners).
PREFIX = "plt_"

#: What a token may do: read the roster, change it, manage notifications.
SCOPES = ("read", "write", "notifications")

#: ``last_used_at`` is written at most this often per token and process (seconds):
#: a busy integration costs one write a minute, not one per request.
TOUCH_INTERVAL = 60

#: The longest client address kept (the column's length).
_ADDRESS_LENGTH = 64

TOKEN_CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "scopes"],
    "properties": {
        "name": name_schema(),
        "scopes": {
            "type": "array",
            "items": {"enum": list(SCOPES)},
            "minItems": 1,
            "uniqueItems": True,
            "description": "what the token may do: read, write, notifications",
        },
        "teams": {
            "type": "array",
            "items": {"type": "string", "pattern": SLUG_PATTERN},
            "uniqueItems": True,
            "description": "slugs of the teams the token is limited to; none (or absent) means every team",
        },
        "expires_at": {
            "type": ["string", "null"],
            "maxLength": 64,
            "format": "date-time",
            "description": "when the token stops working: a future date-time with offset; null or absent: never",
        },
    },
}

#: What the API answers for a token: never its secret, nor its hash.
TOKEN_RESPONSE = closed_object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "scopes": {"type": "array", "items": {"enum": list(SCOPES)}},
        "teams": {"type": "array", "items": {"type": "string"}, "description": "empty: every team"},
        "expires_at": nullable(DATE_TIME),
        "created_at": DATE_TIME,
        "last_used_at": nullable(DATE_TIME),
        "last_used_from": {"type": ["string", "null"], "description": "the client address of the last use"},
        "revoked_at": nullable(DATE_TIME),
    },
    "an API token, without its secret",
)
#: What creating a token answers: the token and, this once only, its secret.
CREATED_TOKEN_RESPONSE = closed_object(
    {
        **TOKEN_RESPONSE["properties"],
        "token": {
            "type": "string",
            "description": "the secret (plt_...): shown this once only; send it as Authorization: Bearer",
        },
    },
    "a new API token with its secret, shown this once only",
)
TOKEN_LIST_RESPONSE = closed_object(
    {"tokens": {"type": "array", "items": ref("ApiToken")}},
    "every token, revoked ones too, newest first",
)


def token_hash(secret: str) -> str:
    """The SHA-256 (hex) a token's secret is stored and looked up as."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A fresh token secret: ``plt_`` and 32 random bytes, URL-safe."""
    return PREFIX + secrets.token_urlsafe(32)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def token_json(token: ApiToken) -> dict:
    """A token as the API answers it and the audit log records it: never the secret or its hash."""
    return {
        "id": token.id,
        "name": token.name,
        "scopes": list(token.scopes),
        "teams": [team.slug for team in token.teams],
        "expires_at": _iso(token.expires_at),
        "created_at": _iso(token.created_at),
        "last_used_at": _iso(token.last_used_at),
        "last_used_from": token.last_used_from,
        "revoked_at": _iso(token.revoked_at),
    }


class TokenService:
    """API tokens as owners manage them: create (the secret shown once), list, revoke."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession

    # -- reading --------------------------------------------------------------

    def get(self, token_id) -> ApiToken:
        """The token with ``token_id`` (revoked or not), or :class:`NotFound`."""
        token = self.dbsession.get(ApiToken, token_id) if isinstance(token_id, int) else None
        if token is None:
            raise NotFound(f"No API token with id {token_id}.", code="not_found.token", params={"id": token_id})
        return token

    def list(self) -> list[ApiToken]:
        """Every token, revoked ones too, newest first, with its teams."""
        return list(
            self.dbsession.scalars(select(ApiToken).options(selectinload(ApiToken.teams)).order_by(ApiToken.id.desc()))
        )

    # -- writing --------------------------------------------------------------

    def create(self, body: dict) -> tuple[ApiToken, str]:
        """A new token from ``name``, ``scopes``, ``teams`` and ``expires_at``; answers it and its secret.

        An unknown team slug or an ``expires_at`` without an offset or not in
        the future is :class:`Invalid`, naming it.  The secret is not kept:
        whoever created the token must copy it now.
        """
        validate(TOKEN_CREATE_SCHEMA, body, "API token")
        errors: list[Detail] = []
        teams = self._teams(body.get("teams", []), errors)
        expires_at = self._expiry(body.get("expires_at"), errors)
        if errors:
            summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            raise Invalid(f"Invalid API token: {summary}", errors, code="invalid.token")
        secret = new_secret()
        token = ApiToken(
            name=body["name"],
            token_hash=token_hash(secret),
            # In the order SCOPES lists them, whatever order the body used.
            scopes=[scope for scope in SCOPES if scope in body["scopes"]],
            expires_at=expires_at,
            created_at=utcnow(),
            created_by=self.ctx.actor.credential,
            teams=teams,
        )
        self.dbsession.add(token)
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "create", "api_token", token.id, None, token_json(token))
        return token, secret

    def revoke(self, token: ApiToken) -> ApiToken:
        """The token opens nothing from now on; kept, with ``revoked_at``, for the audit log's sake.

        Revoking a revoked token is :class:`NotFound`: there is no live token
        of that id any more, and the first revocation's time stays.
        """
        if token.revoked_at is not None:
            raise NotFound(
                f"No live API token with id {token.id}: it was revoked at {token.revoked_at.isoformat()}.",
                code="not_found.token",
                params={"id": token.id},
            )
        before = token_json(token)
        token.revoked_at = utcnow()
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "revoke", "api_token", token.id, before, token_json(token))
        return token

    # -- checks -----------------------------------------------------------------

    def _teams(self, slugs: list[str], errors: list[Detail]) -> list[Team]:
        return teams_by_slug(self.dbsession, slugs, errors)

    @staticmethod
    def _expiry(value: str | None, errors: list[Detail]) -> datetime | None:
        if value is None:
            return None
        try:
            expires_at = parse_instant(value, timezone.utc)
        except DateTimeError as error:
            errors.append(Detail.of("expires_at", error))
            return None
        # parse_instant reads a bare date or a wall-clock time in the zone it
        # is given; a token belongs to no team, so to no zone: demand an offset.
        text = value.strip()
        if len(text) == 10 or datetime.fromisoformat(text).tzinfo is None:
            errors.append(
                Detail(
                    "expires_at",
                    f"{value!r} has no offset; write a date-time with one, e.g. 2030-01-31T18:00:00-03:00",
                    "datetime.offset",
                    {"value": value},
                )
            )
            return None
        if expires_at <= utcnow():
            errors.append(
                Detail("expires_at", f"{value!r} is not in the future", "not_in_future", {"value": value})
            )
            return None
        return expires_at


@dataclass(frozen=True)
class TokenRecord:
    """A live token as the security policy needs it (no secret, no hash)."""

    id: int
    name: str
    scopes: frozenset[str]
    #: The teams it is limited to; empty means every team.
    team_slugs: tuple[str, ...]
    expires_at: datetime | None


class TokenDirectory:
    """Finds the live token a secret names, for the security policy; records its use.

    It reads through the engine with short connections of its own, outside
    any request transaction (the cached reads run without one).  Like
    :class:`~plantao.services.account_directory.AccountDirectory`, it
    remembers the tokens it found: while the database cannot be reached, a
    token seen in the last :data:`~plantao.services.login.REMEMBERED_FOR`
    seconds (and not expired since) keeps working from memory; any other
    secret gets the database's error.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.clock = clock
        self.now = now
        # By the secret's hash: the secrets themselves are not kept.
        self.recent = RecentlyValidated(clock=clock)
        self._touched: dict[int, float] = {}
        self._lock = threading.Lock()

    def find(self, secret) -> TokenRecord | None:
        """The live token with this secret; None for an unknown, revoked or expired one or a non-``plt_`` string."""
        if not isinstance(secret, str) or not secret.startswith(PREFIX):
            return None
        try:
            record = self._stored(token_hash(secret))
        except SQLAlchemyError:
            seen = self.recent.recall(secret)
            if seen is None:
                raise
            return seen if self._live(seen) else None
        if record is None:
            self.recent.forget(secret)
        else:
            self.recent.remember(secret, record)
        return record

    def touch(self, token_id: int, client_addr: str | None) -> None:
        """Record that the token was used now, from ``client_addr``; best-effort.

        At most once per :data:`TOUCH_INTERVAL` per token in this process;
        a database error is logged and swallowed: the request it serves
        must not fail for want of a statistic.
        """
        now = self.clock()
        with self._lock:
            last = self._touched.get(token_id)
            if last is not None and now - last < TOUCH_INTERVAL:
                return
            self._touched[token_id] = now
        address = client_addr[:_ADDRESS_LENGTH] if client_addr else None
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    update(ApiToken)
                    .where(ApiToken.id == token_id)
                    .values(last_used_at=self.now(), last_used_from=address)
                )
        except SQLAlchemyError:
            log.warning("Could not record the use of API token %s", token_id, exc_info=True)

    def _live(self, record: TokenRecord) -> bool:
        return record.expires_at is None or self.now() < record.expires_at

    def _stored(self, digest: str) -> TokenRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(ApiToken.id, ApiToken.name, ApiToken.scopes, ApiToken.expires_at, ApiToken.revoked_at).where(
                    ApiToken.token_hash == digest
                )
            ).first()
            if row is None or row.revoked_at is not None:
                return None
            slugs = connection.scalars(
                select(Team.slug)
                .join(api_token_teams, api_token_teams.c.team_id == Team.id)
                .where(api_token_teams.c.token_id == row.id)
                .order_by(Team.slug)
            ).all()
        record = TokenRecord(row.id, row.name, frozenset(row.scopes), tuple(slugs), row.expires_at)
        return record if self._live(record) else None
