"""What every service needs: the session, the settings, the plugins, the actor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..config import Settings
from ..plugins import PluginRegistry
from ..read_model import ReadModel


@dataclass(frozen=True)
class Actor:
    """Who is writing: the credential used and the client's address (what the audit log names)."""

    credential: str
    client_addr: str | None = None


SYSTEM = Actor("system")


@dataclass(frozen=True)
class ServiceContext:
    """One request's (or one command's) session, settings, plugins and actor.

    ``roster`` is the instance's roster in memory, which the reading
    services answer from; without it (a command, a test) they read the
    database.
    """

    dbsession: Session
    settings: Settings
    plugins: PluginRegistry
    actor: Actor = SYSTEM
    roster: ReadModel | None = None
