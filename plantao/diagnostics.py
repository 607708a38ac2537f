"""Database failures explained in an operator's words.

The first version's manual listed the usual start-up failures and what to
check; these functions turn the same cases into messages that name the host,
port or user involved and say what to look at, instead of a traceback.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from . import schema
from .config import database_hosts

#: SQLSTATE of a write refused by a server that only reads (a standby, or a
#: primary demoted by a failover).
READ_ONLY_SQL_TRANSACTION = "25006"


def explain_database_error(error: Exception, database_url: str) -> str:
    """A one-paragraph explanation of why the database could not be used."""
    url = make_url(database_url)
    detail = str(getattr(error, "orig", error) or error).strip()
    lowered = detail.lower()
    hosts = database_hosts(url)
    where = ", ".join(hosts) if len(hosts) > 1 else f"{url.host or 'localhost'}:{url.port or 5432}"
    if url.get_backend_name() == "sqlite":
        return (
            f"Cannot open the SQLite database {url.database!r}: {detail}. "
            "Check that PLANTAO_DATA_DIR exists and is writable by the service user."
        )
    if len(hosts) > 1 and ("session is read-only" in lowered or "hot standby" in lowered):
        return (
            f"None of the PostgreSQL hosts {where} takes writes: each one answering is a standby "
            "or read-only. A failover may be under way (check the cluster, e.g. `patronictl list`); "
            "Plantão connects to the new primary by itself once there is one."
        )
    if len(hosts) > 1 and ("connection refused" in lowered or "timeout expired" in lowered):
        return (
            f"No PostgreSQL host of {where} accepted a connection: {detail}. Check that the "
            "database nodes are running and reachable from this machine, and DB_HOST."
        )
    if "connection refused" in lowered or "could not connect" in lowered and "refused" in lowered:
        return (
            f"Connection refused by PostgreSQL at {where}. Is the database running? "
            "Check the container with `docker ps` (it should list openlabs_postgres) and that "
            f"docker-compose.yml publishes port {url.port or 5432} on 127.0.0.1 (the 15432 mapping, "
            "DB_PORT_EXTERNAL)."
        )
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"PostgreSQL at {where} rejected the password of user {url.username!r}. "
            "The DB_PASS given to the service (Environment=/EnvironmentFile= in "
            "plantao.service, or .env) must match the password in docker-compose.yml/.env "
            "that created the database."
        )
    if "does not exist" in lowered and "database" in lowered:
        return (
            f"PostgreSQL at {where} has no database {url.database!r}. Create it, or fix DB_NAME."
        )
    if "could not translate host name" in lowered or "name or service not known" in lowered:
        if len(hosts) > 1:
            return f"A database host of {where} cannot be resolved: {detail}. Check DB_HOST."
        return f"The database host {url.host!r} cannot be resolved. Check DB_HOST."
    if "timeout expired" in lowered or "timed out" in lowered:
        return (
            f"PostgreSQL at {where} did not answer in time. Check the firewall and that "
            "the server is up (`docker ps`)."
        )
    return f"The database at {where} could not be used: {detail}"


def needs_the_operator(error: Exception, database_url: str) -> bool:
    """True when waiting cannot mend ``error``: only the operator can.

    A rejected password, an unknown role or a ``pg_hba.conf`` refusal stay
    so until somebody changes the configuration, and a SQLite file that
    cannot be opened is no server that might come up.  A server that is
    down, starting, failing over or not yet resolvable may answer soon.
    """
    if make_url(database_url).get_backend_name() == "sqlite":
        return True
    lowered = str(getattr(error, "orig", error) or error).lower()
    return any(
        sign in lowered
        for sign in ("password authentication failed", "authentication failed", "no pg_hba.conf entry", 'role "')
    )


def is_database_unavailable(error: Exception) -> bool:
    """True when ``error`` means the database could not serve the request.

    An operational error (the server is down or restarting, the connection
    dropped, a lock wait gave up after the retries) or a connection
    SQLAlchemy had to invalidate says nothing about the request itself: the
    client should try again shortly, so the answer is a 503, not a 500.
    """
    if isinstance(error, OperationalError) or is_read_only_server(error):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def is_dropped_connection(error: Exception) -> bool:
    """True when ``error`` cost its connection (SQLAlchemy invalidated it): a fresh one may well work."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def is_read_only_server(error: Exception) -> bool:
    """True when a write met a server that only reads (``ReadOnlySqlTransaction``).

    After a failover the old primary comes back as a standby: connections
    still open to it read fine and refuse every write.
    """
    orig = getattr(error, "orig", error)
    return getattr(orig, "pgcode", None) == READ_ONLY_SQL_TRANSACTION


def database_readiness(engine) -> tuple[int, dict]:
    """``(status, body)`` of the readiness probe: the database answers and its schema is at the newest migration."""
    try:
        state = schema.status(engine)
    except SQLAlchemyError as error:
        return 503, {
            "status": "unavailable",
            "database": "unreachable",
            "error": explain_database_error(error, engine.url.render_as_string(hide_password=False)),
        }
    if not state.at_head:
        return 503, {
            "status": "unavailable",
            "database": "ok",
            "schema": {"current": state.current, "head": state.head},
            "error": "the database schema is not at the newest migration: run `plantao db upgrade`",
        }
    return 200, {"status": "ok", "database": "ok", "schema": {"current": state.current, "head": state.head}}
