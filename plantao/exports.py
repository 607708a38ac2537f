"""Export formats: what a ``register_export_formats`` plugin declares.

An export format turns the shifts of a feed (a team's, or one person's
across every team) into a downloadable body: an iCalendar file that
calendar clients subscribe to, a spreadsheet, JSON.  The feed service
(:mod:`plantao.services.exports`) selects the shifts exactly as
``GET /api/v1/teams/{slug}/shifts`` does, applies the reader's contact
policy, calls :meth:`ExportFormat.render` once per roster change and serves
the bytes with ``ETag`` and ``Last-Modified``.

Everything handed to a format is a frozen, detached snapshot: a format
cannot reach the database, and what it renders depends only on its
arguments, so the same roster always gives the same bytes (and ETag).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator

from .datetimes import isoformat
from .services.contacts import FULL_CONTACTS, ContactPolicy
from .services.oncall import PersonView
from .services.representations import person_json


@dataclass(frozen=True)
class ExportTeam:
    """The team a shift belongs to."""

    id: int
    slug: str
    name: str
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ExportShift:
    """One shift of a feed, as the ``shifts`` API returns it, plus what calendars need.

    ``person`` already has the contacts the reader may not see blanked out
    (:mod:`plantao.services.contacts`: an anonymous reader's feed has none).
    ``key`` is the shift's stable identity within its team (kept when only
    the holder changes), ``sequence`` grows with each reassignment and
    ``updated_at`` is when the stored shift last changed.  ``reason`` is the
    override's reason, empty for other shifts.
    """

    id: int
    team: ExportTeam
    role: str
    person: PersonView
    start: datetime
    end: datetime
    source: str
    rotation_id: int | None
    override_id: int | None
    key: str
    sequence: int
    updated_at: datetime
    reason: str = ""

    @property
    def is_override(self) -> bool:
        return self.source == "override"

    def as_json(self) -> dict:
        """The shift exactly as ``GET .../shifts`` shows it, plus the team's slug."""
        tz = self.team.tz
        return {
            "id": self.id,
            "team": self.team.slug,
            "role": self.role,
            "person": person_json(self.person, FULL_CONTACTS),
            "start": isoformat(self.start, tz),
            "end": isoformat(self.end, tz),
            "source": self.source,
            "rotation_id": self.rotation_id,
            "override_id": self.override_id,
        }


@dataclass(frozen=True)
class ExportContext:
    """Everything about a feed except its shifts.

    ``teams`` are the teams whose shifts appear (one for a team feed, those
    of the person's shifts for a person feed); ``team`` is set for a team
    feed and ``person`` for a person feed.  ``timezone`` is the feed's zone:
    the team's, or ``PLANTAO_TIMEZONE`` for a person.  ``params`` are the
    format's parameters from the query string, validated against its
    ``params_schema`` with the defaults filled in.  ``url`` is the feed's
    address without its secret token, ``domain`` names this installation in
    identifiers (iCalendar UIDs), and ``generated_at`` is when the body is
    rendered (formats that want the same bytes for the same roster should
    not print it).
    """

    title: str
    timezone: str
    start: datetime
    end: datetime
    teams: tuple[ExportTeam, ...]
    team: ExportTeam | None = None
    person: PersonView | None = None
    role: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""
    domain: str = "plantao.local"
    generated_at: datetime | None = None
    contacts: ContactPolicy = FULL_CONTACTS

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ExportFormat:
    """Base class of export formats; subclass it and register through the hook.

    Set ``name`` (the ``{format}`` of the URL), ``title`` and ``description``
    (``{"pt-BR": ..., "en": ...}``), ``params_schema`` (a JSON Schema whose
    every property has a default: its properties are read from the query
    string, integers and booleans converted), ``media_type`` (sent as the
    Content-Type, with ``charset`` for text types) and ``extension`` (of the
    downloaded file's name), and implement :meth:`render`.
    """

    name: str = ""
    title: dict[str, str] = {}
    description: dict[str, str] = {}
    params_schema: dict = {"type": "object", "additionalProperties": False, "properties": {}}
    media_type: str = "application/octet-stream"
    extension: str = "bin"
    #: Sent in the Content-Type of text media types.
    charset: str | None = "utf-8"

    def render(self, shifts: Sequence[ExportShift], context: ExportContext) -> bytes:
        """The body of the feed: ``shifts`` (ordered by start, then id) rendered."""
        raise NotImplementedError

    @property
    def content_type(self) -> str:
        """The Content-Type header: the media type, with the charset of text types."""
        if self.charset and self.media_type.startswith("text/"):
            return f"{self.media_type}; charset={self.charset}"
        return self.media_type

    def params(self, raw: Mapping[str, str]) -> dict:
        """The parameters of this format from query-string values, defaults filled in.

        Raises :class:`ValueError` with a plain message when a value is wrong.
        """
        properties = self.params_schema.get("properties", {})
        # Calendar clients poll the same URL over and over: remember its answer.
        raw_key = tuple(raw.get(name) for name in properties)
        cache = self.__dict__.setdefault("_params_cache", {})
        if raw_key in cache:
            return dict(cache[raw_key])
        values: dict[str, Any] = {}
        for name, schema in properties.items():
            text = raw.get(name)
            if text is None or text == "":
                if "default" in schema:
                    values[name] = schema["default"]
                continue
            values[name] = _coerce(name, text, schema)
        errors = sorted(Draft202012Validator(self.params_schema).iter_errors(values), key=lambda e: e.path)
        if errors:
            error = errors[0]
            where = ".".join(str(p) for p in error.absolute_path) or "parameters"
            raise ValueError(f"{where}: {error.message}")
        if len(cache) < 256:
            cache[raw_key] = dict(values)
        return values


def _coerce(name: str, text: str, schema: dict) -> Any:
    types = schema.get("type", "string")
    types = [types] if isinstance(types, str) else list(types)
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, got {text!r}") from None
    if "boolean" in types:
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise ValueError(f"{name} must be true or false, got {text!r}")
    return text
