"""What every service needs: the session, the settings, the plugins, the actor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..config import Settings
from ..plugins import PluginRegistry
from .audit import SYSTEM, Actor


@dataclass(frozen=True)
class ServiceContext:
    dbsession: Session
    settings: Settings
    plugins: PluginRegistry
    actor: Actor = SYSTEM
