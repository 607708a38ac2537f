"""What a notification channel plugin implements.

A channel is declared through ``register_notification_channels`` like any
plugin.  The dispatcher calls :meth:`NotificationChannel.send` outside any
database transaction, once per delivery, with the delivery's idempotency
key: HTTP channels send it as ``Idempotency-Key``, email as ``Message-ID``,
so a receiver can drop the rare second copy sent after a dispatcher died
between sending and recording the send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

#: Shown instead of a secret parameter's value.
MASK = "********"


class DeliveryError(Exception):
    """Sending failed.  ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """A notification rendered for one recipient, in their language."""

    kind: str
    subject: str
    text: str
    html: str
    language: str
    #: The event's data as JSON (what the webhook channel posts).
    data: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "language": self.language,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, data: dict) -> Message:
        return cls(**{name: data[name] for name in ("kind", "subject", "text", "html", "language", "data")})


@dataclass(frozen=True)
class Delivery:
    """What :meth:`NotificationChannel.send` gets about the delivery itself."""

    id: int
    idempotency_key: str
    attempt: int
    timeout: float


class NotificationChannel:
    """Base class of notification channels.

    Subclasses set ``name``, ``title``, ``description`` (dicts by language),
    ``params_schema`` (a JSON Schema of the team's settings) and
    ``secret_params`` (parameter names never shown back in full), and
    implement :meth:`send`.  A channel reaching people implements
    :meth:`person_destination`; one with a team-wide destination (a group,
    a webhook) implements :meth:`team_destination`.
    """

    name: ClassVar[str]
    title: ClassVar[dict[str, str]]
    description: ClassVar[dict[str, str]]
    params_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    secret_params: ClassVar[tuple[str, ...]] = ()

    def defaults(self, settings) -> dict:
        """Parameters the instance's configuration supplies (a team's win)."""
        return {}

    def available(self, params: dict) -> bool:
        """True when ``params`` (defaults merged with the team's) let it send at all."""
        return True

    def person_destination(self, person, params: dict) -> dict | None:
        """Where ``person`` is reached on this channel, or None."""
        return None

    def team_destination(self, params: dict) -> dict | None:
        """The team-wide destination configured in ``params``, or None."""
        return None

    def send(self, message: Message, destination: dict, params: dict, delivery: Delivery) -> None:
        """Send ``message``; raise :class:`DeliveryError` on failure."""
        raise NotImplementedError

    def mask(self, params: dict) -> dict:
        """``params`` fit to show an admin: secrets reduced to their last characters."""
        return {
            key: (mask_secret(value) if key in self.secret_params and value else value)
            for key, value in params.items()
        }


def mask_secret(value) -> str:
    """``********`` plus the last 4 characters of a long secret, so admins can tell them apart."""
    text = str(value)
    return MASK + text[-4:] if len(text) >= 16 else MASK


def is_masked(value) -> bool:
    """True for a value :func:`mask_secret` produced (sent back unchanged by a form)."""
    return isinstance(value, str) and value.startswith(MASK)
