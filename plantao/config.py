"""One door for configuration.

Settings come from three places, the later winning: a ``.env`` file in the
working directory (local runs), the process environment (systemd injects the
production credentials there) and explicit overrides (tests).  Nothing else
in Plantão reads ``os.environ``: everything asks for a :class:`Settings`.

Every value is checked here, and all problems are reported together, so an
operator fixes a broken environment in one go rather than one restart per
mistake.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from . import passwords
from .plugin_api import Variable

# The example value of the first version's manual: a password everybody who
# read the manual knows.
EXAMPLE_ADMIN_PASSWORD = "admin123"

#: The file in PLANTAO_DATA_DIR holding a development instance's generated admin password.
ADMIN_PASSWORD_FILE = "admin_password"

ENVIRONMENTS = ("development", "production")

#: Every variable Plantão's core reads, with its default and meaning; plugins
#: add theirs (``variables`` of their declarations, ``SMTP_*`` of the email
#: channel): :func:`all_variables` lists both.  ``.env.example`` and the
#: README's configuration table are checked against that by a test.
VARIABLES: dict[str, tuple[str | None, str]] = {
    "DB_HOST": (
        None,
        "PostgreSQL host, or several (host or host:port, comma-separated) to find the primary; "
        "when set, the DB_* variables build the database URL",
    ),
    "DB_PORT_EXTERNAL": ("15432", "PostgreSQL port (the port Docker Compose publishes)"),
    "DB_USER": (None, "PostgreSQL user"),
    "DB_PASS": (None, "PostgreSQL password"),
    "DB_NAME": (None, "PostgreSQL database name"),
    "DATABASE_URL": (None, "any SQLAlchemy URL; overrides the DB_* variables"),
    "ADMIN_PASSWORD": (None, "password of the admin panel and bearer token of the API"),
    "DOMAIN_NAME": (None, "public domain name served over HTTPS by Caddy"),
    "HOST": ("127.0.0.1", "address waitress listens on"),
    "PORT": ("8080", "port waitress listens on"),
    "PLANTAO_TIMEZONE": ("America/Sao_Paulo", "default time zone of new teams"),
    "PLANTAO_DATA_DIR": ("./var", "where the embedded database and generated secrets live"),
    "PLANTAO_ENV": ("development", "development or production"),
    "SESSION_SECRET": (None, "secret signing session cookies; generated in the data dir when unset"),
    "SESSION_MAX_AGE_HOURS": ("24", "a login session ends this long after it began, however active"),
    "TRUSTED_PROXY": ("127.0.0.1", "address of the reverse proxy whose X-Forwarded-* headers are trusted"),
    "PLANTAO_HORIZON_DAYS": ("180", "how many days ahead shifts are materialized"),
    "PUBLIC_ROSTER": ("true", "false makes every page and read API need a login"),
    "PUBLIC_CONTACTS": ("true", "false hides every phone and chat contact from anonymous visitors"),
    "VIEWER_PASSWORD": (None, "read-only password for a private roster (PUBLIC_ROSTER=false)"),
    "NOTIFY_ADMIN_EMAILS": (None, "comma-separated addresses told about coverage gaps"),
    "NOTIFY_MAX_ATTEMPTS": ("8", "tries before a delivery is given up (then retried by hand)"),
    "NOTIFY_BACKOFF_SECONDS": ("30", "first retry delay; doubles each try, with jitter"),
    "NOTIFY_POLL_SECONDS": ("5", "how often the dispatcher looks for work"),
    "NOTIFY_LEASE_SECONDS": ("300", "a delivery claimed longer ago than this by a dead dispatcher is sent again"),
    "NOTIFY_STALE_AFTER_MINUTES": ("60", "reminders and handoffs overdue by more than this are skipped"),
    "NOTIFY_CHANGE_WINDOW_DAYS": ("28", "roster changes of shifts starting within this many days are notified"),
    "PLANTAO_WORKER_IN_SERVE": ("false", "true also runs the notification dispatcher inside plantao serve"),
    "MAX_REQUEST_BODY_BYTES": ("1048576", "largest request body accepted; bigger ones get 413 unread"),
    "CHANNEL_TIMEOUT_SECONDS": ("120", "waitress closes a connection idle this long"),
    "CONNECTION_LIMIT": ("100", "connections waitress serves at once; more wait to be accepted"),
    "FEED_LINK_PREFERENCES_UNTIL": (
        "2027-03-31",
        "last day (YYYY-MM-DD, in PLANTAO_TIMEZONE) a person's old feed link still opens their preferences; "
        "empty: it no longer does (their action link does)",
    ),
    "STANDBY_FACTOR": (
        "1/3",
        "share of the normal hour paid for standby (sobreaviso, CLT art. 244 §2) in the hours report's value "
        "column: a fraction like 1/3 or a decimal like 0.3333, from 0 to 1",
    ),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(Exception):
    """The configuration cannot be used; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))

    def __str__(self) -> str:
        lines = ["Invalid configuration:"] + [f"  - {error}" for error in self.errors]
        return "\n".join(lines)


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one Plantão instance."""

    database_url: str
    admin_password: str = ""
    #: Where a development instance without ``ADMIN_PASSWORD`` keeps the one it generated.
    admin_password_file: Path | None = None
    #: True only in the process that generated it (the one run that shows it).
    admin_password_generated: bool = False
    domain_name: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    timezone: str = "America/Sao_Paulo"
    data_dir: Path = Path("var")
    env: str = "development"
    session_secret: str = ""
    session_max_age_hours: int = 24
    trusted_proxy: str = "127.0.0.1"
    horizon_days: int = 180
    public_roster: bool = True
    public_contacts: bool = True
    viewer_password: str = ""
    #: The values of the variables plugins declare, by name (parsed by their schema).
    plugin_variables: Mapping[str, Any] = field(default_factory=dict)
    notify_admin_emails: tuple[str, ...] = ()
    notify_max_attempts: int = 8
    notify_backoff_seconds: int = 30
    notify_poll_seconds: float = 5.0
    notify_lease_seconds: int = 300
    notify_stale_after_minutes: int = 60
    notify_change_window_days: int = 28
    worker_in_serve: bool = False
    max_request_body_bytes: int = 1048576
    channel_timeout_seconds: int = 120
    connection_limit: int = 100
    #: The last day a person's feed link (the old personal link) still opens their
    #: notification preferences; None: it no longer does.  See :mod:`plantao.views.pages`.
    feed_link_preferences_until: date | None = date(2027, 3, 31)
    #: The share of the normal hour standby is paid at (CLT art. 244 §2: one third).
    standby_factor: Fraction = Fraction(1, 3)
    #: Problems worth shouting about that do not stop a development instance.
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def database_dialect(self) -> str:
        return make_url(self.database_url).get_backend_name()

    @property
    def safe_database_url(self) -> str:
        """The database URL with its password masked, fit for logs (several hosts shown as ``host:port``)."""
        return display_database_url(self.database_url)

    @property
    def base_url(self) -> str:
        if self.domain_name:
            return f"https://{self.domain_name}"
        return f"http://{self.host}:{self.port}"


def normalise_database_url(url: str) -> str:
    """Name the psycopg2 driver explicitly for PostgreSQL URLs.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which we do
    not ship; ``postgres://`` (Heroku style) is accepted too.

    A URL naming several hosts (libpq's ``postgresql://u@h1:5432,h2:5433/db``
    or SQLAlchemy's ``?host=h1:5432&host=h2:5433``) gets
    ``target_session_attrs=read-write`` unless it sets its own, so the
    connection lands on the primary whichever host that is now.
    """
    parsed = make_url(_libpq_hosts_to_query(url))
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if len(database_hosts(parsed)) > 1 and "target_session_attrs" not in parsed.query:
        parsed = parsed.update_query_dict({"target_session_attrs": READ_WRITE})
    return parsed.render_as_string(hide_password=False)


#: libpq's ``target_session_attrs`` that skips standbys (and demoted primaries).
READ_WRITE = "read-write"

# scheme://[userinfo@]host[:port],host[:port]...[/database][?query]
_LIBPQ_MULTIHOST = re.compile(r"^(?P<scheme>[\w+.-]+://)(?P<netloc>[^/?#]*,[^/?#]*)(?P<rest>[/?].*)?$")


def _libpq_hosts_to_query(url: str) -> str:
    # SQLAlchemy reads one host in the authority; libpq's URIs list several
    # there.  Move them to the ``host`` query parameters SQLAlchemy passes on.
    match = _LIBPQ_MULTIHOST.match(url)
    if not match:
        return url
    userinfo, _, hosts = match["netloc"].rpartition("@")
    if "," not in hosts:
        return url  # the comma was in the user name or password
    rest = match["rest"] or "/"
    path, _, query = rest.partition("?")
    pairs = "&".join(f"host={quote(item, safe=':[]')}" for item in hosts.split(","))
    authority = f"{userinfo}@" if userinfo else ""
    return f"{match['scheme']}{authority}{path or '/'}?{pairs}" + (f"&{query}" if query else "")


def database_hosts(url: URL | str) -> list[str]:
    """The ``host:port`` items a PostgreSQL URL connects to, in the order libpq tries them.

    Empty for SQLite; one item for the usual single-host URL.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "postgresql":
        return []
    listed = parsed.query.get("host")
    if listed is None:
        host = parsed.host or "localhost"
        return [f"[{host}]:{parsed.port or 5432}" if ":" in host else f"{host}:{parsed.port or 5432}"]
    items = [item for value in ((listed,) if isinstance(listed, str) else listed) for item in value.split(",")]
    ports = parsed.query.get("port")
    port_items = [] if ports is None else [p for v in ((ports,) if isinstance(ports, str) else ports) for p in v.split(",")]
    if len(port_items) == 1:
        port_items = port_items * len(items)
    found = []
    for index, item in enumerate(items):
        if ":" not in item:
            item = f"{item}:{port_items[index] if index < len(port_items) else 5432}"
        found.append(item)
    return found


def display_database_url(url: str) -> str:
    """``url`` with its password masked and its host list readable, for logs and ``plantao check``."""
    parsed = make_url(url)
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    if not parsed.query:
        return shown
    query = [(name, "***" if name == "password" else value) for name, value in parsed.query.items()]
    return f"{shown}?{urlencode(query, doseq=True, safe=':,[]*')}"


def read_environment(
    environ: Mapping[str, str] | None = None, dotenv_path: Path | str | None = ".env"
) -> dict[str, str]:
    """Merge ``.env`` (if present) under the process environment."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    dotenv_path: Path | str | None = ".env",
    overrides: Mapping[str, str] | None = None,
    create_data_dir: bool = True,
    variables: Iterable[Variable] | None = None,
) -> Settings:
    """Build validated :class:`Settings`, or raise :class:`ConfigurationError`.

    ``environ`` defaults to the process environment and ``overrides`` win
    over everything (tests use it).  With ``create_data_dir`` the data
    directory is created and a session secret generated there when none is
    configured.  ``variables`` are those the plugins declare, by default the
    installed plugins'; they are checked with the core ones.
    """
    values = read_environment(environ, dotenv_path)
    values.update(overrides or {})

    def get(name: str) -> str | None:
        raw = values.get(name)
        if raw is None or raw.strip() == "":
            return VARIABLES[name][0]
        return raw.strip()

    errors: list[str] = []
    warnings: list[str] = []

    def integer(name: str, low: int, high: int) -> int:
        raw = get(name)
        try:
            number = int(raw)
        except (TypeError, ValueError):
            errors.append(f"{name} must be a whole number, got {raw!r}")
            return int(VARIABLES[name][0])
        if not low <= number <= high:
            errors.append(f"{name} must be between {low} and {high}, got {number}")
        return number

    def boolean(name: str) -> bool:
        raw = (get(name) or "").lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        errors.append(f"{name} must be true or false, got {raw!r}")
        return VARIABLES[name][0] == "true"

    env = (get("PLANTAO_ENV") or "").lower()
    if env not in ENVIRONMENTS:
        errors.append(f"PLANTAO_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
        env = "development"

    port = integer("PORT", 1, 65535)
    db_port = integer("DB_PORT_EXTERNAL", 1, 65535)
    horizon_days = integer("PLANTAO_HORIZON_DAYS", 1, 3660)

    timezone = get("PLANTAO_TIMEZONE")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"PLANTAO_TIMEZONE is not a known IANA time zone: {timezone!r}")
        timezone = VARIABLES["PLANTAO_TIMEZONE"][0]

    data_dir = Path(get("PLANTAO_DATA_DIR")).expanduser()
    database_url = _database_url(get, db_port, data_dir, errors)

    admin_password = values.get("ADMIN_PASSWORD") or ""
    viewer_password = values.get("VIEWER_PASSWORD") or ""
    if admin_password == EXAMPLE_ADMIN_PASSWORD:
        problem = "ADMIN_PASSWORD is the manual's example value 'admin123'"
        if env == "production":
            errors.append(f"{problem}: set a strong password before running in production")
        else:
            warnings.append(f"{problem}: anybody who read the manual can administer this instance")
    elif not admin_password and env == "production":
        errors.append("ADMIN_PASSWORD is empty: set a strong password before running in production")
    elif not admin_password and not create_data_dir:
        # Without the data directory there is nowhere to keep a generated one.
        warnings.append("ADMIN_PASSWORD is empty: nobody can log in to the admin panel or write through the API")
    # A guessable password undoes the login throttle: production refuses it.
    for name, password in (("ADMIN_PASSWORD", admin_password), ("VIEWER_PASSWORD", viewer_password)):
        weakness = passwords.weakness(password) if password not in ("", EXAMPLE_ADMIN_PASSWORD) else None
        if weakness and env == "production":
            errors.append(f"{name} {weakness}: production needs a password that is hard to guess")
        elif weakness:
            warnings.append(f"{name} {weakness}: it would be refused with PLANTAO_ENV=production")
    session_max_age_hours = integer("SESSION_MAX_AGE_HOURS", 1, 8760)

    session_secret = get("SESSION_SECRET") or ""
    admin_password_file: Path | None = None
    admin_password_generated = False
    if create_data_dir and not errors:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            if not session_secret:
                session_secret = _stored_secret(data_dir / "session_secret")
            if not admin_password and env == "development":
                # A fresh clone must be usable at once: a random password,
                # kept for the next runs, that the CLI shows once.
                admin_password_file = data_dir / ADMIN_PASSWORD_FILE
                admin_password, admin_password_generated = _generated_password(admin_password_file)
        except OSError as error:
            errors.append(f"PLANTAO_DATA_DIR {str(data_dir)!r} is not writable: {error.strerror}")

    public_roster = boolean("PUBLIC_ROSTER")
    public_contacts = boolean("PUBLIC_CONTACTS")

    plugin_variables: dict[str, Any] = {}
    for variable in installed_variables() if variables is None else variables:
        if variable.name in VARIABLES:
            errors.append(f"{variable.name} is a Plantão variable: a plugin cannot declare it")
            continue
        try:
            plugin_variables[variable.name] = variable.parse(values.get(variable.name))
        except ValueError as error:
            errors.append(str(error))
    notify_max_attempts = integer("NOTIFY_MAX_ATTEMPTS", 1, 100)
    notify_backoff_seconds = integer("NOTIFY_BACKOFF_SECONDS", 1, 86400)
    notify_poll_seconds = integer("NOTIFY_POLL_SECONDS", 1, 3600)
    notify_lease_seconds = integer("NOTIFY_LEASE_SECONDS", 5, 86400)
    notify_stale_after_minutes = integer("NOTIFY_STALE_AFTER_MINUTES", 1, 100000)
    notify_change_window_days = integer("NOTIFY_CHANGE_WINDOW_DAYS", 0, 3660)
    worker_in_serve = boolean("PLANTAO_WORKER_IN_SERVE")
    max_request_body_bytes = integer("MAX_REQUEST_BODY_BYTES", 1024, 1073741824)
    channel_timeout_seconds = integer("CHANNEL_TIMEOUT_SECONDS", 1, 86400)
    connection_limit = integer("CONNECTION_LIMIT", 1, 100000)
    admin_emails = tuple(a.strip() for a in (get("NOTIFY_ADMIN_EMAILS") or "").split(",") if a.strip())
    feed_link_preferences_until = _feed_link_preferences_until(values.get("FEED_LINK_PREFERENCES_UNTIL"), errors)
    standby_factor = _standby_factor(get("STANDBY_FACTOR"), errors)

    if errors:
        raise ConfigurationError(errors)
    return Settings(
        database_url=database_url,
        admin_password=admin_password,
        admin_password_file=admin_password_file,
        admin_password_generated=admin_password_generated,
        domain_name=get("DOMAIN_NAME"),
        host=get("HOST"),
        port=port,
        timezone=timezone,
        data_dir=data_dir,
        env=env,
        session_secret=session_secret,
        session_max_age_hours=session_max_age_hours,
        trusted_proxy=get("TRUSTED_PROXY"),
        horizon_days=horizon_days,
        public_roster=public_roster,
        public_contacts=public_contacts,
        viewer_password=viewer_password,
        plugin_variables=plugin_variables,
        notify_admin_emails=admin_emails,
        notify_max_attempts=notify_max_attempts,
        notify_backoff_seconds=notify_backoff_seconds,
        notify_poll_seconds=float(notify_poll_seconds),
        notify_lease_seconds=notify_lease_seconds,
        notify_stale_after_minutes=notify_stale_after_minutes,
        notify_change_window_days=notify_change_window_days,
        worker_in_serve=worker_in_serve,
        max_request_body_bytes=max_request_body_bytes,
        channel_timeout_seconds=channel_timeout_seconds,
        connection_limit=connection_limit,
        feed_link_preferences_until=feed_link_preferences_until,
        standby_factor=standby_factor,
        warnings=tuple(warnings),
    )


def _standby_factor(raw: str | None, errors: list[str]) -> Fraction:
    """STANDBY_FACTOR as an exact fraction: ``1/3`` or ``0.3333``, from 0 to 1."""
    # Kept exact so that "1/3" pays a third, not 0.3333... rounded twice.
    text = raw or VARIABLES["STANDBY_FACTOR"][0]
    if re.fullmatch(r"\d+(\.\d+)?|\.\d+|\d+\s*/\s*[1-9]\d*", text):
        factor = Fraction(text.replace(" ", ""))
        if 0 <= factor <= 1:
            return factor
    errors.append(f"STANDBY_FACTOR must be a fraction like 1/3 or a decimal like 0.3333, from 0 to 1, got {text!r}")
    return Fraction(1, 3)


def _feed_link_preferences_until(raw: str | None, errors: list[str]) -> date | None:
    """FEED_LINK_PREFERENCES_UNTIL as a date: unset takes the default, set but empty ends the transition now."""
    # Unlike the other variables, empty is a choice here (the old links stop at
    # once), not "the default".
    if raw is None:
        raw = VARIABLES["FEED_LINK_PREFERENCES_UNTIL"][0]
    raw = raw.strip()
    if not raw:
        return None
    try:
        # fromisoformat alone would also take 20270331 and week dates.
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    errors.append(f"FEED_LINK_PREFERENCES_UNTIL must be a date as YYYY-MM-DD (or empty: already ended), got {raw!r}")
    return None


def installed_variables() -> list[Variable]:
    """The variables the installed plugins declare.

    A plugin that cannot be loaded declares none here: building the plugin
    registry, right after the settings, stops start-up naming it.
    """
    from .plugins import PluginError, declared_variables

    try:
        return declared_variables()
    except PluginError:
        return []


def all_variables(variables: Iterable[Variable] | None = None) -> dict[str, tuple[str | None, str]]:
    """Every variable read, the core's then the plugins' (default: installed), as in :data:`VARIABLES`."""
    found = dict(VARIABLES)
    for variable in installed_variables() if variables is None else variables:
        found.setdefault(variable.name, (variable.default, variable.description))
    return found


def _database_url(get, db_port: int, data_dir: Path, errors: list[str]) -> str:
    """DATABASE_URL, else the manual's DB_* set, else embedded SQLite."""
    explicit = get("DATABASE_URL")
    if explicit:
        try:
            return normalise_database_url(explicit)
        except (ArgumentError, ValueError):
            errors.append(f"DATABASE_URL is not a valid SQLAlchemy URL: {explicit!r}")
            return "sqlite://"
    host = get("DB_HOST")
    if host:
        missing = [name for name in ("DB_USER", "DB_NAME") if not get(name)]
        for name in missing:
            errors.append(f"{name} is required when DB_HOST is set")
        hosts = _db_host_items(host, db_port, errors)
        if len(hosts) == 1:
            (single_host, single_port), query = hosts[0], {}
        else:
            # Several hosts go in the query, where SQLAlchemy hands them to libpq.
            single_host, single_port = None, None
            query = {"host": tuple(f"{name}:{number}" for name, number in hosts), "target_session_attrs": READ_WRITE}
        url = URL.create(
            "postgresql+psycopg2",
            username=get("DB_USER"),
            password=get("DB_PASS"),
            host=single_host,
            port=single_port,
            database=get("DB_NAME"),
            query=query,
        )
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{(data_dir.absolute() / 'plantao.sqlite3').as_posix()}"


def _db_host_items(value: str, default_port: int, errors: list[str]) -> list[tuple[str, int]]:
    """DB_HOST's ``host`` or ``host:port`` items; a bare host takes DB_PORT_EXTERNAL."""
    if "," not in value and value.count(":") > 1:
        return [(value, default_port)]  # one bare IPv6 address, as DB_HOST always took it
    items: list[tuple[str, int]] = []
    problems: list[str] = []
    for position, raw in enumerate(value.split(","), start=1):
        item = raw.strip()
        name, colon, port_text = item.partition(":")
        name = name.strip()
        if not name:
            problems.append(f"item {position} ({raw.strip()!r}) names no host")
            continue
        if ":" in port_text:
            problems.append(f"{item!r} is not host or host:port (IPv6 addresses need a host name here)")
            continue
        if not colon:
            items.append((name, default_port))
            continue
        try:
            number = int(port_text)
        except ValueError:
            number = 0
        if not 1 <= number <= 65535 or not port_text.strip().isdigit():
            problems.append(f"{item!r} has no valid port (a whole number between 1 and 65535)")
            continue
        items.append((name, number))
    if problems:
        errors.append(
            "DB_HOST must be a host or a comma-separated list of host or host:port: " + "; ".join(problems)
        )
        return items or [("localhost", default_port)]
    return items


def _generated_password(path: Path) -> tuple[str, bool]:
    """The password kept in ``path``, and whether this call created it.

    The file appears whole or not at all (written aside, then hard-linked
    into place), so a worker started alongside ``serve`` reads the same
    password rather than writing a second one.
    """
    while True:
        try:
            stored = path.read_text().strip()
        except FileNotFoundError:
            stored = ""
        else:
            if stored:
                return stored, False
            # An empty file holds nothing to log in with: replace it.
            path.unlink(missing_ok=True)
        password = secrets.token_urlsafe(18)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            continue  # another process got there first: use theirs
        finally:
            draft.unlink()
        return password, True


def _stored_secret(path: Path) -> str:
    """Read a generated secret, creating it (readable by us only) the first time."""
    if path.is_file():
        secret = path.read_text().strip()
        if secret:
            return secret
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret
