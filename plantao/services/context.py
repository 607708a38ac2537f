"""What every service needs: the session, the settings, the plugins, the actor."""

from __future__ import annotations

from collections.abc import Callable
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

    ``session`` is the session, or a callable that opens it when a service
    first needs it: the reads answered from the roster in memory never do,
    and a request's session costs its setup even unused.  ``roster`` is the
    instance's roster in memory, which the reading services answer from;
    without it (a command, a test) they read the database.
    """

    session: Session | Callable[[], Session]
    settings: Settings
    plugins: PluginRegistry
    actor: Actor = SYSTEM
    roster: ReadModel | None = None

    @property
    def dbsession(self) -> Session:
        """The session, opened now if it was not yet."""
        opened = self.__dict__.get("_opened")
        if opened is None:
            opened = self.session if isinstance(self.session, Session) else self.session()
            object.__setattr__(self, "_opened", opened)
        return opened
