"""Named accounts: creating them, changing them, and checking their passwords.

Passwords are hashed with argon2id (argon2-cffi's :class:`PasswordHasher`,
its recommended parameters); only the hash is stored, and neither the
password nor the hash ever reaches the audit log or an error message.
Whatever changes what an account may do (disabling it, a new password, a
new role or teams) ends its login sessions, in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..models import ROLES, Account, Person, Team
from ..models.account import normalize_email
from ..passwords import weakness
from . import audit
from .context import ServiceContext
from .errors import Conflict, Detail, Invalid, NotFound
from .login import LoginSessions
from .teams import SLUG_PATTERN, teams_by_slug
from .validation import MAX_ID, name_schema, validate

#: The longest password accepted: argon2 takes any length, but hashing a
#: megabyte on every login attempt would be a cheap way to load the server.
MAX_PASSWORD_LENGTH = 1024

#: The one hasher: argon2id with argon2-cffi's recommended (RFC 9106) parameters.
HASHER = PasswordHasher()

#: The roles that look after teams of their own; only they may have teams.
TEAM_ROLES = frozenset({"team_admin"})

ACCOUNT_PROPERTIES = {
    "name": name_schema(),
    # Stripped and lower-cased before it is checked (models/account.py).
    "email": {"type": "string", "maxLength": 320, "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"},
    # No keyword that quotes the value: a schema error must never echo a password.
    "password": {"type": "string"},
    "role": {"enum": list(ROLES)},
    "teams": {
        "type": "array",
        "items": {"type": "string", "pattern": SLUG_PATTERN},
        "uniqueItems": True,
        "description": "slugs of the teams a team_admin looks after",
    },
    "person": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
}

ACCOUNT_CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "email", "password", "role"],
    "properties": ACCOUNT_PROPERTIES,
}

ACCOUNT_UPDATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: ACCOUNT_PROPERTIES[k] for k in ("name", "role", "teams", "person")},
}


def account_json(account: Account) -> dict:
    """An account as the audit log records it: never its password hash."""
    return {
        "id": account.id,
        "name": account.name,
        "email": account.email,
        "role": account.role,
        "teams": [team.slug for team in account.teams],
        "person": account.person_id,
        "active": account.active,
    }


@cache
def _dummy_hash() -> str:
    # What an unknown email's password is checked against, so that a login
    # costs one argon2 verification whether the email exists or not.  Made
    # by the same hasher, so it costs what a real hash costs even after
    # argon2-cffi changes its parameters.
    return HASHER.hash("no account has this password")


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(connection: Connection, email, password) -> int | None:
    """The id of the active account with this email and password, or None.

    Every attempt costs one argon2 verification, the email known or not,
    so the answer's timing does not tell which emails have accounts; a
    disabled account is verified too, then refused.  A hash made with
    parameters weaker than today's is replaced by a new one.  It works on
    a plain connection: the login form checks passwords outside the
    request's transaction (on SQLite that transaction holds the write lock
    the login's own writes need).
    """
    if not isinstance(password, str):
        password = ""
    row = None
    if isinstance(email, str):
        row = connection.execute(
            select(Account.id, Account.password_hash, Account.active).where(Account.email == normalize_email(email))
        ).first()
    if row is None:
        _verifies(_dummy_hash(), password)
        return None
    if not _verifies(row.password_hash, password) or not row.active:
        return None
    if HASHER.check_needs_rehash(row.password_hash):
        connection.execute(update(Account).where(Account.id == row.id).values(password_hash=HASHER.hash(password)))
    return row.id


class AccountService:
    """Named accounts: who logs in by email and password, with which role, over which teams.

    ``sessions`` is the app's :class:`LoginSessions` when a request has it;
    without it (a command, a test) the sessions are ended through this
    service's own transaction all the same.
    """

    def __init__(self, ctx: ServiceContext, sessions: LoginSessions | None = None):
        self.ctx = ctx
        self.dbsession = ctx.dbsession
        self.sessions = sessions

    # -- reading --------------------------------------------------------------

    def get(self, account_id) -> Account:
        """The account with ``account_id``, or :class:`NotFound`."""
        account = self.dbsession.get(Account, account_id) if isinstance(account_id, int) else None
        if account is None:
            raise NotFound(f"No account with id {account_id}.", code="not_found.account", params={"id": account_id})
        return account

    def by_email(self, email: str) -> Account:
        """The account with ``email`` (in any case, with or without surrounding spaces), or :class:`NotFound`."""
        account = self._find(email)
        if account is None:
            raise NotFound(
                f"No account with email {email.strip()!r}.", code="not_found.account", params={"email": email.strip()}
            )
        return account

    def list(self) -> list[Account]:
        """Every account, by id, with its teams."""
        return list(self.dbsession.scalars(select(Account).options(selectinload(Account.teams)).order_by(Account.id)))

    def _find(self, email) -> Account | None:
        if not isinstance(email, str):
            return None
        return self.dbsession.scalar(select(Account).where(Account.email == normalize_email(email)))

    # -- writing --------------------------------------------------------------

    def create(self, body: dict) -> Account:
        """A new, active account from ``name``, ``email``, ``password``, ``role``, ``teams`` and ``person``.

        A ``team_admin`` needs at least one team; the other roles take none.
        A taken email is a :class:`Conflict` (``duplicate_email``).
        """
        body = self._normalized(body)
        validate(ACCOUNT_CREATE_SCHEMA, body, "account")
        self._refuse_weak(body["password"])
        errors: list[Detail] = []
        teams = self._teams(body["role"], body.get("teams", []), errors)
        person_id = self._person(body.get("person"), errors)
        self._raise(errors)
        if self._find(body["email"]) is not None:
            raise self._email_taken(body["email"])
        account = Account(
            name=body["name"],
            email=body["email"],
            password_hash=HASHER.hash(body["password"]),
            role=body["role"],
            active=True,
            person_id=person_id,
            teams=teams,
        )
        # Two creations of one email at once both pass the check above; the
        # unique constraint stops the second at its insert.  The savepoint
        # keeps the transaction usable to tell that case from any other.
        try:
            with self.dbsession.begin_nested():
                self.dbsession.add(account)
                self.dbsession.flush()
        except IntegrityError:
            if self._find(body["email"]) is not None:
                raise self._email_taken(body["email"]) from None
            raise
        audit.record(self.dbsession, self.ctx.actor, "create", "account", account.id, None, account_json(account))
        return account

    def update(self, account: Account, body: dict) -> Account:
        """Change ``name``, ``role``, ``teams`` or ``person``; a new role or new teams end its sessions.

        Nothing is audited when nothing changes.

        Leaving ``team_admin`` drops the account's teams; becoming one keeps
        those it has, and needs at least one.
        """
        validate(ACCOUNT_UPDATE_SCHEMA, body, "account")
        before = account_json(account)
        role = body.get("role", account.role)
        errors: list[Detail] = []
        if "teams" in body:
            teams = self._teams(role, body["teams"], errors)
        elif role in TEAM_ROLES:
            teams = self._teams(role, [team.slug for team in account.teams], errors)
        else:
            teams = []
        person_id = self._person(body["person"], errors) if "person" in body else account.person_id
        self._raise(errors)
        if "name" in body:
            account.name = body["name"]
        account.role = role
        account.teams = teams
        account.person_id = person_id
        self.dbsession.flush()
        after = account_json(account)
        if after == before:
            # A form saved as it was (the panel's edit form posts every field) changed nothing to record.
            return account
        audit.record(self.dbsession, self.ctx.actor, "update", "account", account.id, before, after)
        if (before["role"], before["teams"]) != (after["role"], after["teams"]):
            self._end_sessions(account)
        return account

    def disable(self, account: Account) -> Account:
        """The account logs in no more, and its open sessions end; kept for the audit log's sake."""
        if not account.active:
            return account
        before = account_json(account)
        account.active = False
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "disable", "account", account.id, before, account_json(account))
        self._end_sessions(account)
        return account

    def enable(self, account: Account) -> Account:
        """A disabled account may log in again (with the password it had)."""
        if account.active:
            return account
        before = account_json(account)
        account.active = True
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "enable", "account", account.id, before, account_json(account))
        return account

    def set_password(self, account: Account, password) -> Account:
        """A new password for ``account``; every session opened with the old one ends."""
        self._refuse_weak(password)
        account.password_hash = HASHER.hash(password)
        self.dbsession.flush()
        # The fact only: neither password nor hash is the log's business.
        audit.record(self.dbsession, self.ctx.actor, "set_password", "account", account.id, None, None)
        self._end_sessions(account)
        return account

    # -- logging in -------------------------------------------------------------

    def authenticate(self, email, password) -> Account | None:
        """The active account with this email and password, or None (see :func:`authenticate`)."""
        self.dbsession.flush()
        account_id = authenticate(self.dbsession.connection(), email, password)
        if account_id is None:
            return None
        account = self.dbsession.get(Account, account_id)
        self.dbsession.expire(account, ["password_hash"])  # maybe rehashed, through the connection
        return account

    # -- checks -----------------------------------------------------------------

    @staticmethod
    def _normalized(body):
        if isinstance(body, dict) and isinstance(body.get("email"), str):
            return {**body, "email": normalize_email(body["email"])}
        return body

    @staticmethod
    def _refuse_weak(password) -> None:
        # Messages name the reason, never the password (they reach logs and terminals).
        if not isinstance(password, str):
            raise Invalid(
                "Invalid account: password must be a string.",
                [Detail("password", "must be a string", "type")],
                code="schema",
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            reason = f"is longer than {MAX_PASSWORD_LENGTH} characters"
        else:
            reason = weakness(password)
        if reason is not None:
            raise Invalid(
                f"The password {reason}; choose another.",
                [Detail("password", reason, "weak_password", {"reason": reason})],
                code="weak_password",
                params={"reason": reason},
            )

    def _teams(self, role: str, slugs: list[str], errors: list[Detail]) -> list[Team]:
        """The teams named by ``slugs`` for an account of ``role``; problems go to ``errors``."""
        if role not in TEAM_ROLES:
            if slugs:
                errors.append(
                    Detail("teams", f"only a team_admin has teams, not a {role}", "teams_not_allowed", {"role": role})
                )
            return []
        if not slugs:
            errors.append(Detail("teams", "a team_admin needs at least one team", "teams_required"))
            return []
        return teams_by_slug(self.dbsession, slugs, errors)

    def _person(self, person_id: int | None, errors: list[Detail]) -> int | None:
        if person_id is not None and self.dbsession.get(Person, person_id) is None:
            errors.append(Detail("person", f"no person with id {person_id}", "unknown_person", {"id": person_id}))
        return person_id

    @staticmethod
    def _raise(errors: list[Detail]) -> None:
        if errors:
            summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            raise Invalid(f"Invalid account: {summary}", errors, code="invalid.account")

    @staticmethod
    def _email_taken(email: str) -> Conflict:
        return Conflict(
            f"An account with email {email!r} already exists.",
            {"field": "email"},
            code="duplicate_email",
            params={"email": email},
        )

    def _end_sessions(self, account: Account) -> None:
        # In this transaction, through its connection: the sessions end if
        # and only if the change commits, and on SQLite a second connection
        # would wait for this transaction's write lock until it timed out.
        sessions = self.sessions or LoginSessions(
            self.dbsession.get_bind(), max_age=timedelta(hours=self.ctx.settings.session_max_age_hours)
        )
        sessions.end_for_account(account.id, self.dbsession.connection())
