"""The ``plantao`` command: serve, migrate, diagnose, load demo data.

Every failure an operator can cause (bad configuration, unreachable
database, a foreign database) ends with a plain message on stderr and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
import warnings

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from . import schema
from .config import ConfigurationError, Settings, load_settings
from .diagnostics import explain_database_error, needs_the_operator
from .plugins import PluginError, build_registry

log = logging.getLogger("plantao")

EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_PLUGINS = 4
EXIT_LOCKED = 5
#: The listen address cannot be bound (port in use, say): often passing, so
#: systemd may retry it, unlike a configuration error.
EXIT_LISTEN = 6


class CommandError(Exception):
    """A failure to report in one message with an exit code.

    ``transient`` says waiting may mend it (a database that is down or
    still starting), as opposed to a mistake only the operator can fix.
    """

    def __init__(self, message: str, code: int = 1, *, transient: bool = False):
        super().__init__(message)
        self.code = code
        self.transient = transient


def _settings(*, announce_password: bool = True) -> Settings:
    try:
        settings = load_settings()
    except ConfigurationError as error:
        raise CommandError(str(error), EXIT_CONFIG) from None
    # Whichever command runs first on a fresh clone generates the password:
    # that one shows it (serve shows it itself, with the URL it listens on).
    if announce_password and settings.admin_password_generated:
        _announce_admin_password(settings, f"{settings.base_url}/admin/login")
    return settings


def _engine(settings: Settings):
    from .db import create_database_engine

    return create_database_engine(settings.database_url)


def _database_error(error: Exception, settings: Settings) -> CommandError:
    return CommandError(
        explain_database_error(error, settings.database_url),
        EXIT_DATABASE,
        transient=not needs_the_operator(error, settings.database_url),
    )


def _upgrade(settings: Settings, engine) -> schema.SchemaStatus:
    try:
        return schema.upgrade(engine)
    except schema.ForeignDatabaseError as error:
        raise CommandError(str(error), EXIT_DATABASE) from None
    except SQLAlchemyError as error:
        raise _database_error(error, settings) from None


def _warn(settings: Settings) -> None:
    for warning in settings.warnings:
        log.warning("WARNING: %s", warning)


def _start_up(settings: Settings, *, migrate: bool = True):
    """What every long-running command does first: warn, load plugins, migrate (unless the caller will)."""
    _warn(settings)
    plugins = _plugins()
    engine = _engine(settings)
    if migrate:
        _migrated(settings, engine)
    return plugins, engine


def cmd_serve(args) -> int:
    """Migrate to head, then serve the app with waitress."""
    settings = _settings(announce_password=False)
    host = args.host or settings.host
    port = args.port or settings.port
    # Where this process answers (DOMAIN_NAME may name a proxy not set up
    # yet); a wildcard listen address is no place to open in a browser.
    visible_host = "localhost" if host in ("0.0.0.0", "::", "") else _url_host(host)
    base_url = f"http://{visible_host}:{port}"
    try:
        return _serve(args, settings, host, port, base_url)
    except CommandError:
        # This run generated the password but ends before serving (a port
        # in use, say): it is still the run that must show it, once.
        if settings.admin_password_generated:
            _announce_admin_password(settings, f"{base_url}/admin/login")
        raise


def _serve(args, settings: Settings, host: str, port: int, base_url: str) -> int:
    from .app import make_app

    plugins, engine = _start_up(settings, migrate=False)
    # A database that is down or still starting is waited for (below); one
    # that refuses the password, or holds tables Plantão did not create, is
    # an operator's mistake no waiting mends.
    waiting_for = None
    try:
        _migrated(settings, engine)
    except CommandError as error:
        if not error.transient:
            raise
        waiting_for = error
    app = make_app(settings, plugins=plugins, engine=engine)
    # Listen before starting any thread: a port in use ends the command at once.
    server = _listen(app, host, port, settings, threads=args.threads)

    def database_ready() -> None:
        if args.demo_if_empty:
            if _load_demo(settings, engine, plugins, only_if_empty=True):
                log.info(
                    "Demo data loaded into the empty database: team 'demo' with its people and a weekly "
                    "rotation (%s/teams/demo)",
                    base_url,
                )
            else:
                log.info("The database already has teams: no demo data loaded")
        # Load the roster before answering: the reads never wait for it.
        read_model = app.registry.read_model
        read_model.refresh()
        if read_model.loaded:
            teams = len(read_model.snapshot().teams)
            log.info("Roster in memory: %d %s", teams, "team" if teams == 1 else "teams")
        _start_background_work(app.registry, settings, plugins)

    if waiting_for is None:
        database_ready()
    else:
        _wait_for_database(app.registry, settings, engine, str(waiting_for), database_ready)
    log.info("Plantão serving on http://%s:%s (%s)", _url_host(host), port, settings.env)
    log.info("Who is on call: %s/ · admin panel: %s/admin/login", base_url, base_url)
    _announce_admin_password(settings, f"{base_url}/admin/login")
    server.run()
    return 0


def _migrated(settings: Settings, engine) -> None:
    state = _upgrade(settings, engine)
    log.info("database %s at revision %s", settings.safe_database_url, state.current)


def _start_background_work(registry, settings: Settings, plugins) -> None:
    """What serve runs beside the requests once its database answers."""
    from .horizon import HorizonKeeper

    HorizonKeeper(registry).start()
    if settings.worker_in_serve:
        _start_dispatcher_thread(settings, plugins, registry["dbsession_factory"])


#: Seconds between two tries of a database serve is waiting for, at first and at most.
FIRST_RETRY, LAST_RETRY = 1.0, 30.0


def _wait_for_database(registry, settings: Settings, engine, reason: str, then) -> threading.Thread:
    """Answer 503 with ``reason`` and retry the migration in the background; call ``then`` once it succeeded."""
    readiness = registry.readiness
    readiness.starting(reason)
    log.warning("The database is not answering yet; serving 503 and retrying in the background: %s", reason)

    def retry() -> None:
        delay = FIRST_RETRY
        while True:
            time.sleep(delay)
            try:
                _migrated(settings, engine)
            except CommandError as error:
                if str(error) != readiness.reason:
                    log.warning("Still waiting for the database: %s", error)
                readiness.starting(str(error))
                delay = min(delay * 2, LAST_RETRY)
                continue
            except Exception:  # never let the waiting thread die silently
                log.exception("Unexpected error while waiting for the database")
                delay = LAST_RETRY
                continue
            try:
                then()
            finally:
                readiness.open()
            log.info("The database answers: serving every request")
            return

    thread = threading.Thread(target=retry, name="plantao-wait-for-database", daemon=True)
    thread.start()
    return thread


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _listen(app, host: str, port: int, settings: Settings, *, threads: int):
    """Bind the waitress server, or end with a plain message (no traceback)."""
    import errno

    import waitress.server

    try:
        return waitress.server.create_server(
            app, host=host, port=port, threads=threads, **waitress_options(settings)
        )
    except OSError as error:
        address = f"{_url_host(host)}:{port}"
        if error.errno == errno.EADDRINUSE:
            message = (
                f"Cannot listen on {address}: the port is already in use (another Plantão, or another "
                f"program: `ss -ltnp 'sport = :{port}'` names it). Stop it, or choose another PORT (or --port)."
            )
        elif error.errno == errno.EACCES:
            message = f"Cannot listen on {address}: permission denied (ports below 1024 need privileges)."
        elif error.errno == errno.EADDRNOTAVAIL:
            message = f"Cannot listen on {address}: {host} is not an address of this machine (check HOST)."
        else:
            message = f"Cannot listen on {address}: {error.strerror or error}."
        raise CommandError(message, EXIT_LISTEN) from None


def _announce_admin_password(settings: Settings, login_url: str) -> None:
    """Where to find the admin password a development instance generated.

    The one exception to "passwords are never logged": a fresh clone run in
    development shows the password it just generated, once, on the console.
    """
    path = settings.admin_password_file
    if path is None:
        return
    if settings.admin_password_generated:
        log.warning(
            "No ADMIN_PASSWORD is set, so this development instance generated one: %s\n"
            "    Log in at %s with it. It is kept in %s for the next runs;\n"
            "    to choose your own, set ADMIN_PASSWORD in .env (copy .env.example) and restart.",
            settings.admin_password,
            login_url,
            path.absolute(),
        )
    else:
        log.info(
            "No ADMIN_PASSWORD is set: the admin password (log in at %s) is the one kept in %s; "
            "set ADMIN_PASSWORD in .env to choose your own.",
            login_url,
            path.absolute(),
        )


def _start_dispatcher_thread(settings: Settings, plugins, session_factory) -> None:
    """PLANTAO_WORKER_IN_SERVE: deliver notifications from this process too."""
    from .notifications.dispatcher import Dispatcher, DispatcherLocked, DispatcherThread

    dispatcher = Dispatcher(session_factory, settings, plugins)
    try:
        dispatcher.lock.acquire()
    except DispatcherLocked as error:
        log.error("not delivering notifications from serve: %s", error)
        return
    # The thread keeps the lock just taken: letting it go before the thread
    # takes it again would let a worker slip in between.
    DispatcherThread(dispatcher).start()


def cmd_worker(args) -> int:
    """Deliver notifications until stopped (SIGTERM or Ctrl-C)."""
    import signal

    from .db import get_session_factory
    from .notifications.dispatcher import Dispatcher, DispatcherLocked

    settings = _settings()
    plugins, engine = _start_up(settings)
    dispatcher = Dispatcher(get_session_factory(engine), settings, plugins, name=args.name)
    if args.once:
        try:
            dispatcher.lock.acquire()
        except DispatcherLocked as error:
            raise CommandError(str(error), EXIT_LOCKED) from None
        try:
            stats = dispatcher.run_once()
        except SQLAlchemyError as error:
            raise _database_error(error, settings) from None
        finally:
            dispatcher.lock.release()
        print(", ".join(f"{key}: {value}" for key, value in stats.items()))
        return 0
    # A stop finishes the send in progress and records it before exiting.
    signal.signal(signal.SIGTERM, lambda signum, frame: dispatcher.stop())
    try:
        dispatcher.run_forever()
    except DispatcherLocked as error:
        raise CommandError(str(error), EXIT_LOCKED) from None
    except KeyboardInterrupt:
        dispatcher.stop()
    return 0


def waitress_options(settings: Settings) -> dict:
    """How waitress treats proxies (only the trusted one may forward headers) and bounds clients."""
    return {
        # waitress buffers a whole body before the application sees it: the
        # limit stops a huge upload from taking the process's memory.
        "max_request_body_size": settings.max_request_body_bytes,
        # A slow client holds one of connection_limit connections until it
        # goes quiet for channel_timeout; Caddy's read timeouts shield
        # production from clients that trickle (docs/operacao.md).
        "channel_timeout": settings.channel_timeout_seconds,
        "connection_limit": settings.connection_limit,
        # Only the reverse proxy (Caddy on loopback) may tell us the client's
        # address and scheme; anybody else's X-Forwarded-* headers are dropped.
        "trusted_proxy": settings.trusted_proxy,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
        "clear_untrusted_proxy_headers": True,
        "ident": "plantao",
    }


def cmd_db_upgrade(args) -> int:
    settings = _settings()
    state = _upgrade(settings, _engine(settings))
    print(f"Database {settings.safe_database_url} is at revision {state.current} (head).")
    return 0


def cmd_db_current(args) -> int:
    settings = _settings()
    try:
        state = schema.status(_engine(settings))
    except SQLAlchemyError as error:
        raise _database_error(error, settings) from None
    if state.current is None:
        print(f"Database {settings.safe_database_url} has no Plantão schema yet (head is {state.head}).")
        return 1
    suffix = " (head)" if state.at_head else f" (head is {state.head}: run `plantao db upgrade`)"
    print(f"{state.current}{suffix}")
    return 0 if state.at_head else 1


def _plugins():
    try:
        return build_registry()
    except PluginError as error:
        raise CommandError(f"Broken plugin: {error}", EXIT_PLUGINS) from None


def _load_demo(settings, engine, plugins, *, only_if_empty: bool) -> bool:
    from .demo import load_demo

    try:
        return load_demo(settings, engine, plugins, only_if_empty=only_if_empty)
    except SQLAlchemyError as error:
        raise _database_error(error, settings) from None


def cmd_demo(args) -> int:
    settings = _settings()
    engine = _engine(settings)
    _upgrade(settings, engine)
    if _load_demo(settings, engine, _plugins(), only_if_empty=True):
        print("Demo data loaded: team 'demo' with its people and a weekly rotation.")
        return 0
    if args.if_empty:
        print("The database already has teams; demo data not loaded.")
        return 0
    raise CommandError(
        "The database already has teams; refusing to mix demo data into it "
        "(use --if-empty to make this a no-op).",
        1,
    )


def _check_phones(engine) -> None:
    """Warn about stored phone numbers that are not valid ones (kept as typed by migration 0005)."""
    from sqlalchemy.orm import Session

    from .services.contacts import invalid_stored_phones

    with Session(engine) as dbsession:
        invalid = invalid_stored_phones(dbsession)
    for person_id, name, phone in invalid:
        print(f"[WARN] person {person_id} ({name}): phone {phone!r} is not a valid number; correct it in the admin panel")


def _list_plugin_variables(settings: Settings) -> None:
    """The variables plugins declare, checked with the core ones: secrets are only said to be set."""
    from .config import installed_variables
    from .plugin_api import MASK

    shown = []
    for variable in installed_variables():
        value = settings.plugin_variables.get(variable.name)
        if value is None or value == "":
            shown.append(f"{variable.name} (unset)")
        else:
            shown.append(f"{variable.name}={MASK if variable.secret else value}")
    if shown:
        print(f"[ OK ] plugin variables: {', '.join(shown)}")


def cmd_check(args) -> int:
    """Print a diagnosis of configuration, database and plugins."""
    problems = 0
    try:
        settings = load_settings()
    except ConfigurationError as error:
        print(f"[FAIL] {error}")
        return EXIT_CONFIG
    print(f"[ OK ] configuration ({settings.env}), time zone {settings.timezone}")
    print(f"[ OK ] data directory {settings.data_dir.absolute()}")
    _list_plugin_variables(settings)
    for warning in settings.warnings:
        print(f"[WARN] {warning}")
    if settings.admin_password_generated:
        _announce_admin_password(settings, f"{settings.base_url}/admin/login")
    print(f"[....] database {settings.safe_database_url}")
    try:
        engine = _engine(settings)
        with engine.connect() as connection:
            schema.ensure_not_foreign(connection)
        state = schema.status(engine)
    except schema.ForeignDatabaseError as error:
        print(f"[FAIL] {error}")
        problems += 1
    except SQLAlchemyError as error:
        print(f"[FAIL] {explain_database_error(error, settings.database_url)}")
        problems += 1
    else:
        if state.at_head:
            print(f"[ OK ] database reachable, schema at head ({state.head})")
            _check_phones(engine)
        elif state.current is None:
            print("[WARN] database reachable but empty: `plantao db upgrade` (or serve) creates the schema")
        else:
            print(f"[WARN] schema at {state.current}, head is {state.head}: run `plantao db upgrade`")
    try:
        registry = build_registry()
    except PluginError as error:
        print(f"[FAIL] plugins: {error}")
        problems += 1
    else:
        print(f"[ OK ] {len(registry.infos)} plugin declarations installed")
    if problems:
        print(f"{problems} problem(s) found.")
        return 1
    print("Everything looks fine.")
    return 0


def cmd_plugins(args) -> int:
    registry = _plugins()
    if args.json:
        import json

        print(json.dumps([info.as_json() for info in registry.infos], indent=2, ensure_ascii=False))
        return 0
    kind = None
    for info in registry.infos:
        if info.kind != kind:
            kind = info.kind
            print(f"{kind}:")
        title = info.title.get("en") or info.name
        print(f"  {info.name:<20} {title:<40} [{info.source}]")
    return 0


def cmd_roster_refresh(args) -> int:
    """Extend (or, with --all, regenerate) every team's materialized roster."""
    from .app import make_app
    from .horizon import refresh_stale_teams

    settings = _settings()
    engine = _engine(settings)
    _upgrade(settings, engine)
    registry = make_app(settings, plugins=_plugins(), engine=engine).registry
    try:
        if args.all:
            from .db import run_in_transaction
            from .models import Team
            from .services.context import ServiceContext
            from .services.roster import RosterService

            def work(dbsession):
                teams = dbsession.scalars(select(Team).order_by(Team.id)).all()
                RosterService(ServiceContext(dbsession, settings, registry.plugins)).materialize_teams(teams)
                return len(teams)

            count = run_in_transaction(registry, work)
        else:
            count = refresh_stale_teams(registry)
    except SQLAlchemyError as error:
        raise _database_error(error, settings) from None
    print(f"Roster materialized for {count} team(s).")
    return 0


def _read_password() -> str:
    """The new password: typed twice at a terminal, else one line of stdin (for scripts); never an argument."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != first:
            raise CommandError("The two passwords differ; nothing was changed.")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CommandError("No password on standard input (one line is read); nothing was changed.")
    # Only the line's end goes: spaces may be part of a password.
    return line.rstrip("\r\n")


def _with_accounts(work):
    """Run ``work(AccountService)`` in one transaction on a database already at head.

    The users commands never migrate: they are run against a live instance,
    whose schema ``serve`` or ``db upgrade`` owns.
    """
    import transaction

    from .db import get_session_factory, get_tm_session, writing
    from .services.accounts import AccountService
    from .services.context import Actor, ServiceContext
    from .services.errors import ServiceError

    settings = _settings()
    engine = _engine(settings)
    try:
        state = schema.status(engine)
        if not state.at_head:
            found = "has no Plantão schema" if state.current is None else f"is at revision {state.current}"
            raise CommandError(
                f"Database {settings.safe_database_url} {found} (head is {state.head}): "
                "run `plantao db upgrade` first."
            )
        manager = transaction.TransactionManager(explicit=True)
        with manager:
            dbsession = get_tm_session(get_session_factory(writing(engine)), manager)
            # Accounts need no plugins: a broken plugin must not keep the
            # operator from managing who logs in.
            ctx = ServiceContext(dbsession, settings, plugins=None, actor=Actor("cli"))
            return work(AccountService(ctx))
    except ServiceError as error:
        raise CommandError(error.message) from None
    except SQLAlchemyError as error:
        raise _database_error(error, settings) from None
    finally:
        engine.dispose()


def cmd_users_create(args) -> int:
    password = _read_password()
    body = {"name": args.name, "email": args.email, "password": password, "role": args.role}
    if args.teams:
        body["teams"] = args.teams
    if args.person is not None:
        body["person"] = args.person
    account = _with_accounts(lambda accounts: accounts.create(body))
    print(f"Account {account.id} created: {account.email} ({account.role}).")
    return 0


def cmd_users_list(args) -> int:
    def rows(accounts):
        return [
            (a.id, a.email, a.name, a.role, ",".join(t.slug for t in a.teams) or "-", "active" if a.active else "disabled")
            for a in accounts.list()
        ]

    found = _with_accounts(rows)
    if not found:
        print("No accounts yet: `plantao users create` makes one.")
    for row in found:
        print("\t".join(str(value) for value in row))
    return 0


def cmd_users_disable(args) -> int:
    account = _with_accounts(lambda accounts: accounts.disable(accounts.by_email(args.email)))
    print(f"Account {account.email} disabled; its sessions have ended.")
    return 0


def cmd_users_enable(args) -> int:
    account = _with_accounts(lambda accounts: accounts.enable(accounts.by_email(args.email)))
    print(f"Account {account.email} enabled.")
    return 0


def cmd_users_set_password(args) -> int:
    password = _read_password()
    account = _with_accounts(lambda accounts: accounts.set_password(accounts.by_email(args.email), password))
    print(f"Password of {account.email} changed; its sessions have ended.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plantao", description="Plantão: on-call duty rosters.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="migrate the database and serve the app")
    serve.add_argument("--host", help="listen address (default: HOST)")
    serve.add_argument("--port", type=int, help="listen port (default: PORT)")
    serve.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    serve.add_argument("--demo-if-empty", action="store_true", help="load demo data into an empty database")
    serve.set_defaults(func=cmd_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=cmd_db_upgrade)
    db_commands.add_parser("current", help="show the schema revision").set_defaults(func=cmd_db_current)

    demo = commands.add_parser("demo", help="load demo data (a team, people, a rotation)")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database has teams")
    demo.set_defaults(func=cmd_demo)

    roster = commands.add_parser("roster", help="the materialized roster")
    roster_commands = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    refresh = roster_commands.add_parser("refresh", help="extend every team's roster to the horizon")
    refresh.add_argument("--all", action="store_true", help="regenerate every team, not only stale ones")
    refresh.set_defaults(func=cmd_roster_refresh)

    worker = commands.add_parser("worker", help="deliver notifications (reminders, handoffs, changes, gaps, digests)")
    worker.add_argument("--once", action="store_true", help="one round, then exit (for tests and cron)")
    worker.add_argument("--name", help="this dispatcher's name in the attempt log (default host:pid:random)")
    worker.set_defaults(func=cmd_worker)

    commands.add_parser("check", help="diagnose configuration and database").set_defaults(func=cmd_check)

    plugins = commands.add_parser("plugins", help="list installed plugins by kind")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.set_defaults(func=cmd_plugins)

    users = commands.add_parser("users", help="named accounts: who logs in, with which role")
    users_commands = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    create = users_commands.add_parser(
        "create", help="create an account (the password is asked for, or read as one line of stdin)"
    )
    create.add_argument("--name", required=True, help="the account holder's name")
    create.add_argument("--email", required=True, help="the login (stored lower-cased)")
    # Checked by the service against models.account.ROLES: importing the
    # models here would slow every command down.
    create.add_argument("--role", required=True, help="what the account may do: owner, team_admin or viewer")
    create.add_argument(
        "--team", dest="teams", action="append", metavar="SLUG", help="a team a team_admin looks after (repeatable)"
    )
    create.add_argument("--person", type=int, metavar="ID", help="the roster's person this account belongs to")
    create.set_defaults(func=cmd_users_create)
    users_commands.add_parser("list", help="every account, one per line").set_defaults(func=cmd_users_list)
    for action, func, what in (
        ("disable", cmd_users_disable, "disable an account and end its sessions"),
        ("enable", cmd_users_enable, "let a disabled account log in again"),
        ("set-password", cmd_users_set_password, "set a new password and end the account's sessions"),
    ):
        command = users_commands.add_parser(action, help=what)
        command.add_argument("email", metavar="EMAIL")
        command.set_defaults(func=func)
    return parser


def configure_logging(command: str, *, verbose: bool) -> None:
    """The console log of every command; ``serve``'s also throttles waitress' queue warnings."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    )
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if command == "serve":
        from .server_log import throttle_queue_warnings

        # waitress warns once per request that waits for a thread: under
        # load that was one line per request (86,483 in one run).
        throttle_queue_warnings()


def main(argv: list[str] | None = None) -> int:
    # Pyramid 2.1 still imports pkg_resources; its deprecation notice is
    # not the operator's business.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    args = build_parser().parse_args(argv)
    configure_logging(args.command, verbose=args.verbose)
    try:
        return args.func(args)
    except CommandError as error:
        print(f"plantao: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
