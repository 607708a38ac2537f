"""Form fields of the admin panel, and turning posted forms into API bodies.

A :class:`Field` says what to render (``templates/admin/forms.pt`` draws
every widget); the ``parse_*`` functions read one posted value the way the
JSON API would receive it, keeping what cannot be read as the raw text so
the service's validator reports it next to the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any

from ...engine.policies import CLOCK

#: ``2026-03-01T09:00`` as browsers post ``datetime-local`` inputs.
LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Field:
    """One form control: its widget, label, value, help and error messages.

    ``name`` is the input's name; ``key`` the body field the services name in
    their error details (``params.handoff_time``), which is how an error finds
    its field.
    """

    name: str
    label: str
    widget: str = "text"
    value: Any = ""
    help: str = ""
    key: str = ""
    required: bool = False
    options: list = dataclass_field(default_factory=list)
    attrs: dict = dataclass_field(default_factory=dict)
    errors: list = dataclass_field(default_factory=list)

    def __post_init__(self):
        self.key = self.key or self.name

    @property
    def id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)

    @property
    def describedby(self) -> str | None:
        """The ids of this field's help and error texts, for screen readers."""
        ids = [f"{self.id}-help"] if self.help else []
        ids += [f"{self.id}-error"] if self.errors else []
        return " ".join(ids) or None

    def checked(self, option) -> bool:
        values = self.value if isinstance(self.value, (list, tuple, set)) else [self.value]
        return str(option) in {str(v) for v in values}

    def ordered_options(self) -> list:
        """People widgets: the chosen ones in their order, then everybody else."""
        chosen = [str(v) for v in (self.value or [])]
        by_id = {str(value): label for value, label in self.options}
        first = [(value, by_id[value]) for value in chosen if value in by_id]
        rest = [(value, label) for value, label in self.options if str(value) not in chosen]
        return [(str(value), label) for value, label in first + rest]


def _owner(key: str, keys: set[str]) -> str | None:
    """The field an error key belongs to: itself, or the nearest enclosing one."""
    while key:
        if key in keys:
            return key
        key = key.rpartition(".")[0]
    return None


def with_errors(fields: list[Field], errors: dict[str, list[str]]) -> list[Field]:
    """Attach each error to the field it names (``holidays.custom.2.date`` to ``holidays.custom``)."""
    keys = {item.key for item in fields}
    by_field: dict[str, list[str]] = {}
    for key, messages in errors.items():
        owner = _owner(key, keys)
        if owner:
            by_field.setdefault(owner, []).extend(messages)
    for item in fields:
        item.errors = by_field.get(item.key, [])
    return fields


def unplaced(fields: list[Field], errors: dict[str, list[str]]) -> list[str]:
    """Errors naming no field of the form: shown at its top."""
    keys = {item.key for item in fields}
    return [message for key, messages in errors.items() if not _owner(key, keys) for message in messages]


# -- reading posted values -----------------------------------------------------


def text(post, name: str) -> str:
    return (post.get(name) or "").strip()


def optional_text(post, name: str) -> str | None:
    value = text(post, name)
    return value or None


def number(raw: str, kind: str = "integer"):
    """An int (or float for ``number``) from text; the text itself when unreadable."""
    raw = raw.strip()
    try:
        return int(raw) if kind == "integer" else (int(raw) if re.fullmatch(r"-?\d+", raw) else float(raw))
    except ValueError:
        return raw


def id_list(post, name: str) -> list:
    """Checked ids in the order the form lists them."""
    return [number(value) for value in post.getall(name) if value.strip()]


def moved(post, name: str) -> list[str] | None:
    """The order of a people widget after an up/down button press (no-JS path).

    The widget posts every row's id as ``<name>._order`` in display order;
    ``_move`` is ``<name>:<id>:up`` or ``<name>:<id>:down``.
    """
    order = [value for value in post.getall(f"{name}._order")]
    move = post.get("_move", "")
    widget, _, rest = move.rpartition(":")
    widget, _, person = widget.rpartition(":")
    if widget != name or person not in order:
        return None
    index = order.index(person)
    other = index - 1 if rest == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    return order


def local_datetime(raw: str) -> str | None:
    """A ``datetime-local`` value as the API reads it (naive: the team's zone)."""
    raw = raw.strip()
    if not raw:
        return None
    return raw


def clock_value(value) -> str:
    return value if isinstance(value, str) and CLOCK.match(value) else (value or "")


def datetime_input(iso: str | None) -> str:
    """An ISO date-time with offset as a ``datetime-local`` input's value."""
    if not iso:
        return ""
    match = LOCAL_DATETIME.match(iso)
    return match.group(0) if match else iso
