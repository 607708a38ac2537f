"""Form fields of the admin panel, and turning posted forms into API bodies.

A :class:`Field` says what to render (``templates/admin/forms.pt`` draws
every widget); the ``parse_*`` functions read one posted value the way the
JSON API would receive it, keeping what cannot be read as the raw text so
the service's validator reports it next to the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ...datetimes import DateTimeError, parse_form_instant
from ...plugin_api import CLOCK
from ...services.rotations import CLOCK_PATTERN
from ...services.validation import schema_errors
from . import translate_error

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
    #: The fields inside a ``group`` (an object's properties) or the ``group``
    #: rows of ``rows`` (an array of objects); a ``select-other``'s text input.
    children: list = dataclass_field(default_factory=list)
    #: Drawn under "More options" (a schema's ``"x-advanced": true``).
    advanced: bool = False
    #: Holds something other than its default: its "More options" opens by itself.
    changed: bool = False

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


def walk(fields: list[Field]):
    """Every field, those inside groups and rows too (a group before its children)."""
    for item in fields:
        yield item
        yield from walk(item.children)


def _owner(key: str, keys: set[str]) -> str | None:
    """The field an error key belongs to: itself, or the nearest enclosing one."""
    while key:
        if key in keys:
            return key
        key = key.rpartition(".")[0]
    return None


def with_errors(fields: list[Field], errors: dict[str, list[str]]) -> list[Field]:
    """Attach each error to the field it names (``holidays.custom.2.date`` to ``holidays.custom``).

    Fields inside groups and rows count: ``params.unavailable.0.person``
    finds that row's person, ``params.unavailable`` the rows as a whole.
    """
    keys = {item.key for item in walk(fields)}
    by_field: dict[str, list[str]] = {}
    for key, messages in errors.items():
        owner = _owner(key, keys)
        if owner:
            by_field.setdefault(owner, []).extend(messages)
    for item in walk(fields):
        item.errors = by_field.get(item.key, [])
    return fields


def opens(fields: list[Field]) -> bool:
    """Whether a "More options" section holding ``fields`` is drawn open: one of them
    differs from its default or has an error (inside a group or row too)."""
    return any(item.changed for item in fields) or any(item.errors for item in walk(fields))


def unplaced(fields: list[Field], errors: dict[str, list[str]]) -> list[str]:
    """Errors naming no field of the form: shown at its top."""
    keys = {item.key for item in walk(fields)}
    return [message for key, messages in errors.items() if not _owner(key, keys) for message in messages]


def all_errors(_, schema: dict, body: dict, found: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Every problem of a posted form at once: (messages by body field, messages for the whole form).

    ``found`` holds what the panel itself could not read (dates, a person
    not chosen), already in the reader's words; every error of ``body``
    against the service's ``schema`` (jsonschema's ``iter_errors``, see
    :func:`plantao.services.validation.schema_errors`) is added for the
    fields not already faulted.  A view renders these instead of calling
    the service when there are any: the service would stop at the first
    kind of error, and the reader would fix one round after another.
    """
    fields = {key: list(messages) for key, messages in found.items() if messages}
    general: list[str] = []
    for detail in schema_errors(schema, body):
        key = detail["field"]
        if key in found:
            continue
        message = translate_error(_, detail.code, detail.params, detail["message"])
        if key in ("", "(body)"):
            general.append(message)
        else:
            fields.setdefault(key, []).append(message)
    return fields, general


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


def datetime_input(iso: str | None) -> str:
    """An ISO date-time with offset as a ``datetime-local`` input's value."""
    if not iso:
        return ""
    match = LOCAL_DATETIME.match(iso)
    return match.group(0) if match else iso


#: A date field the panel cannot read says how to write it (msgids of ``plantao_admin``),
#: unless the date is wrong in a way of its own: by DateTimeError code, or written as asked
#: but missing from the calendar (31/02/2026).
DAY_FORMAT = "Enter the date as DD/MM/YYYY."
MOMENT_FORMAT = "Enter the date and time as DD/MM/YYYY HH:MM."
NO_SUCH_DAY = "There is no ${value} in the calendar."
DATE_MESSAGES = {
    "date_out_of_range": "This date is too far in the past or the future.",
}
#: The shape of DD/MM/AAAA (HH:MM): typed so and still refused, the day (or hour) does not exist.
DAY_MONTH_YEAR_SHAPE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}(?:[\sT,]+\d{1,2}:\d{2})?")


def form_instant(_, raw: str, tz: ZoneInfo, errors: dict, key: str, *, day: bool = False) -> datetime | None:
    """The instant typed in a date field, as :func:`plantao.datetimes.parse_form_instant` reads
    it (``DD/MM/AAAA``, with ``HH:MM`` unless ``day``, or ISO), naive values in ``tz``.

    None when it is blank or unreadable, the reason then added to
    ``errors[key]`` in the reader's words (blank: the field is required).
    """
    if not raw:
        errors.setdefault(key, []).append(_("This field is required."))
        return None
    if day and ":" in raw:
        # A day field holds a day: a time would be silently dropped.
        errors.setdefault(key, []).append(_(DAY_FORMAT))
        return None
    try:
        return parse_form_instant(raw, tz)
    except DateTimeError as error:
        if error.code not in DATE_MESSAGES and DAY_MONTH_YEAR_SHAPE.fullmatch(raw):
            errors.setdefault(key, []).append(_(NO_SUCH_DAY, value=raw))
        else:
            msgid = DATE_MESSAGES.get(error.code) or (DAY_FORMAT if day else MOMENT_FORMAT)
            errors.setdefault(key, []).append(_(msgid, **error.params))
        return None


# -- schema -> fields -> values ------------------------------------------------


def _is_clock(spec: dict) -> bool:
    return spec.get("type") == "string" and spec.get("pattern") in (CLOCK.pattern, CLOCK_PATTERN)


def _is_weekday(spec: dict) -> bool:
    """An integer 0 (Monday) to 6 (Sunday) annotated ``"format": "weekday"``: a select of day names."""
    return spec.get("format") == "weekday" and "integer" in _types(spec)


def _is_weekdays(spec: dict) -> bool:
    """An array of weekdays: checkboxes.  Items annotated as :func:`_is_weekday`, or
    integers 0-6 as schemas written before the annotation declare them."""
    items = spec.get("items") or {}
    return _is_weekday(items) or (
        items.get("type") == "integer" and items.get("minimum") == 0 and items.get("maximum") == 6
    )


def _types(spec: dict) -> set:
    kind = spec.get("type")
    return set(kind) if isinstance(kind, list) else {kind}


def _is_group(spec: dict) -> bool:
    """An object with declared properties: drawn as a fieldset of its own fields."""
    return "object" in _types(spec) and bool(spec.get("properties"))


def _is_rows(spec: dict) -> bool:
    """An array of such objects: drawn as repeated rows, each a group."""
    return "array" in _types(spec) and _is_group(spec.get("items") or {})


def _is_person(name: str, spec: dict) -> bool:
    # The same convention as the ``members`` arrays: a property named
    # ``person`` (or ``*_person``) holds one person's id.
    return bool(_types(spec) & {"integer"}) and (name == "person" or name.endswith("_person"))


#: Blank rows drawn after an array's entries, for adding more.
BLANK_ROWS = 2


def _label(_, name: str, spec: dict) -> str:
    """The schema's title, else the property's name made readable (``start_time``: "Start time")."""
    return _(spec["title"]) if spec.get("title") else _(name.replace("_", " ").capitalize())


def _differs(spec: dict, value) -> bool:
    """Whether a stored or posted value is other than the schema's default (a group's defaults filled in)."""
    if _is_group(spec) and isinstance(value, dict):
        value = with_defaults(spec, value)
    return "default" not in spec or value != spec["default"]


def schema_fields(
    view, schema: dict, values: dict, name_prefix: str, key_prefix: str, people, *, defaults: bool = True
) -> list[Field]:
    """One field per property of a plugin's parameter schema.

    ``view`` translates (``view._``) and names weekdays; an empty
    ``key_prefix`` keys each field by the bare property name, as errors of a
    schema validated on its own name them.  An object with ``properties`` is
    a ``group`` of its own fields; an array of such objects is ``rows``, one
    group per entry plus :data:`BLANK_ROWS` empty ones (``defaults=False``:
    an empty row shows no default, so that it posts nothing).
    """
    _ = view._
    fields = []
    values = values if isinstance(values, dict) else {}
    for name, spec in (schema.get("properties") or {}).items():
        value = values.get(name, spec.get("default") if defaults else None)
        key = f"{key_prefix}.{name}" if key_prefix else name
        field = Field(
            f"{name_prefix}.{name}",
            _label(_, name, spec),
            key=key,
            help=_(spec["description"]) if spec.get("description") else "",
            advanced=bool(spec.get("x-advanced")),
            changed=name in values and _differs(spec, values[name]),
        )
        types = _types(spec)
        if "enum" in spec:
            field.widget = "select"
            field.options = [(option, _(str(option))) for option in spec["enum"]]
            field.value = "" if value is None else value
        elif _is_clock(spec):
            field.widget, field.value = "time", value or ""
        elif _is_weekday(spec):
            field.widget, field.value = "select", "" if value is None else value
            field.options = list(enumerate(view.weekday_names()))
            if value in (None, ""):
                field.options.insert(0, ("", "—"))
            elif str(value) not in {str(day) for day in range(7)}:
                # A bad posted value (9, "x") stays shown beside its error rather than silently Monday.
                field.options.append((value, str(value)))
        elif _is_person(name, spec):
            field.widget, field.value = "select", "" if value is None else value
            field.options = [("", "—")] + list(people)
            if value not in (None, "") and str(value) not in {str(option[0]) for option in people}:
                # Somebody no longer listed (deactivated) stays chosen rather than silently dropped.
                field.options.append((value, f"#{value}"))
        elif types & {"integer", "number"}:
            field.widget, field.value = "number", "" if value is None else value
            field.attrs = {k: str(spec[k]) for k in ("minimum", "maximum") if k in spec}
            field.attrs = {("min" if k == "minimum" else "max"): v for k, v in field.attrs.items()}
            field.attrs["step"] = "1" if "integer" in types else "any"
        elif "boolean" in types:
            field.widget, field.value = "checkbox", bool(value)
        elif _is_group(spec):
            field.widget = "group"
            field.children = schema_fields(view, spec, value or {}, field.name, key, people, defaults=defaults)
        elif _is_rows(spec):
            field.widget = "rows"
            entries = list(value) if isinstance(value, list) else []
            for index, entry in enumerate(entries + [None] * BLANK_ROWS):
                row = Field(f"{field.name}.{index}", f"{field.label} {index + 1}", widget="group", key=f"{key}.{index}")
                row.children = schema_fields(
                    view, spec["items"], entry or {}, row.name, row.key, people, defaults=entry is not None
                )
                field.children.append(row)
        elif "array" in types and name.endswith("members"):
            field.widget, field.value, field.options = "people", list(value or []), people
        elif "array" in types and _is_weekdays(spec):
            field.widget, field.value = "checkboxes", list(value or [])
            field.options = list(enumerate(view.weekday_names()))
        elif "array" in types:
            field.value = ", ".join(map(str, value or []))
        else:
            field.value = "" if value is None else value
        fields.append(field)
    return fields


def schema_defaults(schema: dict) -> dict:
    return {name: spec["default"] for name, spec in (schema.get("properties") or {}).items() if "default" in spec}


def with_defaults(schema: dict, values: dict) -> dict:
    """``values`` with the schema's defaults filled in, inside objects with properties too.

    The form shows (and posts) every default, so two sets of parameters are
    compared with their defaults filled in.
    """
    filled = {**schema_defaults(schema), **values}
    for name, spec in (schema.get("properties") or {}).items():
        if _is_group(spec) and isinstance(filled.get(name), dict):
            filled[name] = with_defaults(spec, filled[name])
    return filled


def _blank(value) -> bool:
    return value is None or value is False or value in ("", [], {})


def _row_indexes(post, name: str) -> list[int]:
    """The row numbers posted under ``name`` (``name.0.person``, ``name.3.weekdays``...), in order."""
    prefix = f"{name}."
    found = set()
    for key in post.keys():
        if key.startswith(prefix):
            index = key[len(prefix):].partition(".")[0]
            if index.isdigit() and len(index) <= 4:
                found.add(int(index))
    return sorted(found)


def parse_schema(post, schema: dict, name_prefix: str) -> dict:
    """A plugin's parameters from the form, as the API receives them.

    A group becomes a nested object, its empty numbers and texts left out
    (their defaults hold), and is left out as a whole when nothing is left.
    Rows become a list of objects, skipping rows left entirely blank; a row's
    empty optional values are left out, so that a missing required one is
    reported next to its input (``params.unavailable.0.person``).
    """
    params: dict = {}
    for name, spec in (schema.get("properties") or {}).items():
        input_name = f"{name_prefix}.{name}"
        types = _types(spec)
        raw = (post.get(input_name) or "").strip()
        if "enum" in spec:
            if raw:
                params[name] = next((option for option in spec["enum"] if str(option) == raw), raw)
        elif "boolean" in types and "array" not in types:
            params[name] = post.get(input_name) == "on"
        elif types & {"integer", "number"} and "array" not in types:
            if raw:
                params[name] = number(raw, "integer" if "integer" in types else "number")
        elif _is_group(spec):
            group = parse_schema(post, spec, input_name)
            if group:
                params[name] = group
        elif _is_rows(spec):
            rows = []
            for index in _row_indexes(post, input_name):
                row = parse_schema(post, spec["items"], f"{input_name}.{index}")
                if all(_blank(value) for value in row.values()):
                    continue
                rows.append({k: v for k, v in row.items() if isinstance(v, bool) or not _blank(v)})
            params[name] = rows
        elif "array" in types and (name.endswith("members") or _is_weekdays(spec)):
            params[name] = id_list(post, input_name)
        elif "array" in types:
            items = [part.strip() for part in raw.split(",") if part.strip()]
            kind = (spec.get("items") or {}).get("type")
            params[name] = [number(item, kind) for item in items] if kind in ("integer", "number") else items
        elif raw:
            params[name] = raw
    return params
