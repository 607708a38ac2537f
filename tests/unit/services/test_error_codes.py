"""Every kind of failure carries a stable code and its params.

The English messages are for API clients and logs; the admin panel
translates by ``code`` (filling the msgid with ``params``), so a reworded
message can never silently fall back to "Invalid value (...)".  Codes stay
internal: a detail serializes to exactly the ``{"field", "message"}`` the
API has always answered.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from babel.messages import pofile
from pyramid.i18n import TranslationString, make_localizer

from plantao.datetimes import DateTimeError, parse_instant, zone
from plantao.services.contacts import InvalidPhone, normalize_phone
from plantao.services.errors import BadRequest, Conflict, Detail, Invalid, NotFound
from plantao.services.roster import refuse_past_only
from plantao.services.rotations import RotationService
from plantao.services.teams import TeamService
from plantao.services.validation import SINGLE_LINE_PATTERN, schema_errors, validate
from plantao.views.admin import MESSAGES_BY_CODE, form_errors, translate_error
from plantao.views.api import after_id, decode_cursor, encode_cursor, json_body, limit, path_int
from plantao.views.api.intervals import interval

ROOT = Path(__file__).resolve().parents[3]
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def only(schema: dict, instance) -> Detail:
    (detail,) = schema_errors(schema, instance)
    return detail


def echo(msgid: str, **mapping) -> str:
    """A translator that answers the msgid with its ``${...}`` filled in."""
    for name, value in mapping.items():
        msgid = msgid.replace("${%s}" % name, str(value))
    return msgid


# -- a detail is the API's dict, with a code on the side ---------------------------------


def test_a_detail_serializes_as_the_field_and_message_only():
    detail = Detail("end", "must be after start", "after_start", {"x": 1})
    assert json.dumps(detail) == '{"field": "end", "message": "must be after start"}'
    assert detail == {"field": "end", "message": "must be after start"}
    assert (detail.code, detail.params) == ("after_start", {"x": 1})


def test_extra_keys_of_a_detail_follow_field_and_message_in_order():
    detail = Detail("policy", "unknown policy 'x'", "unknown_policy", available=["daily"])
    assert list(detail) == ["field", "message", "available"]


def test_a_detail_of_a_lower_level_error_takes_its_code_and_params():
    error = DateTimeError("'Mars/Base' is not a known IANA time zone", "timezone", name="Mars/Base")
    detail = Detail.of("timezone", error)
    assert detail == {"field": "timezone", "message": "'Mars/Base' is not a known IANA time zone"}
    assert (detail.code, detail.params) == ("timezone", {"name": "Mars/Base"})


def test_a_service_error_carries_its_code_and_params():
    error = Conflict("A team with slug 'infra' already exists.", {"field": "slug"}, code="slug_taken",
                     params={"slug": "infra"})
    assert (error.status, error.code, error.params) == (409, "slug_taken", {"slug": "infra"})
    assert Invalid("no code").code is None and Invalid("no code").params == {}


# -- JSON Schema: the keyword is the code, its value the params ----------------------------


@pytest.mark.parametrize(
    "schema, instance, code, params",
    [
        ({"type": "object", "required": ["name"]}, {}, "required", {}),
        ({"type": "object", "additionalProperties": False}, {"colour": 1}, "unknown_field", {}),
        ({"type": "integer"}, "x", "type.integer", {"expected": "integer"}),
        ({"type": ["integer", "null"]}, "x", "type.integer", {"expected": ["integer", "null"]}),
        ({"type": "number"}, "x", "type.number", {"expected": "number"}),
        ({"type": "boolean"}, "x", "type.boolean", {"expected": "boolean"}),
        ({"type": "string"}, 1, "type", {"expected": "string"}),
        ({"type": ["null", "integer"]}, "x", "type", {"expected": ["null", "integer"]}),
        ({"enum": ["a", "b"]}, "c", "enum", {"options": "a, b"}),
        ({"type": "string", "minLength": 1}, "", "too_short", {"limit": 1}),
        ({"type": "array", "minItems": 2}, [1], "too_short", {"limit": 2}),
        ({"type": "object", "minProperties": 1}, {}, "too_short", {"limit": 1}),
        ({"type": "object", "minProperties": 2}, {}, "minProperties", {}),
        ({"type": "string", "maxLength": 3}, "abcd", "too_long", {"limit": 3}),
        ({"type": "array", "maxItems": 1}, [1, 2], "too_long", {"limit": 1}),
        ({"type": "integer", "minimum": 5}, 1, "minimum", {"limit": 5}),
        ({"type": "integer", "maximum": 5}, 9, "maximum", {"limit": 5}),
        ({"type": "string", "pattern": "^[a-z]+$"}, "A", "pattern", {"pattern": "^[a-z]+$"}),
        ({"type": "string", "pattern": SINGLE_LINE_PATTERN}, "a\nb", "single_line", {}),
        ({"type": "array", "uniqueItems": True}, [1, 1], "unique_items", {}),
        ({"const": "a"}, "b", "const", {}),
    ],
)
def test_each_schema_error_carries_the_code_of_its_keyword(schema, instance, code, params):
    detail = only(schema, instance)
    assert (detail.code, detail.params) == (code, params)


def test_schema_errors_keep_their_fields_and_messages():
    detail = only({"type": "integer", "minimum": 1}, 0)
    assert detail == {"field": "(body)", "message": "0 is less than the minimum of 1"}


def test_validate_raises_invalid_with_coded_details():
    with pytest.raises(Invalid) as refusal:
        validate({"type": "object", "required": ["name"]}, {})
    assert refusal.value.code == "schema"
    assert [(d["field"], d.code) for d in refusal.value.details] == [("name", "required")]


# -- values the services read themselves ---------------------------------------------------


@pytest.mark.parametrize(
    "value, code, params",
    [
        ("not a date", "datetime", {}),
        ("", "datetime.empty", {}),
        ("1900-01-01", "date_out_of_range", {"first_year": 1970, "last_year": 2200}),
    ],
)
def test_a_date_time_that_cannot_be_read_says_why_by_code(value, code, params):
    with pytest.raises(DateTimeError) as refusal:
        parse_instant(value, SAO_PAULO)
    assert (refusal.value.code, refusal.value.params) == (code, params)


@pytest.mark.parametrize("name", ["Mars/Base", "localtime"])
def test_an_unknown_time_zone_is_code_timezone(name):
    with pytest.raises(DateTimeError) as refusal:
        zone(name)
    assert (refusal.value.code, refusal.value.params) == ("timezone", {"name": name})


@pytest.mark.parametrize("raw", ["abc", "123"])
def test_an_invalid_phone_is_code_phone(raw):
    with pytest.raises(InvalidPhone) as refusal:
        normalize_phone(raw)
    assert (refusal.value.code, refusal.value.params) == ("phone", {"value": raw})


def test_a_write_that_ended_is_past_only_ended():
    now = datetime(2026, 12, 2, 10, 30, 12, tzinfo=SAO_PAULO)
    with pytest.raises(Invalid) as refusal:
        refuse_past_only("This leave", now - timedelta(hours=2), now - timedelta(hours=1), SAO_PAULO, now=now)
    error = refusal.value
    assert (error.code, error.params) == ("past_only.ended", {"end": "2026-12-02T09:30:12-03:00"})
    assert [(d["field"], d.code) for d in error.details] == [("end", "past_only.ended")]


def test_a_write_ending_before_the_next_minute_is_past_only_before_next_minute():
    now = datetime(2026, 12, 2, 10, 30, 12, tzinfo=SAO_PAULO)
    with pytest.raises(Invalid) as refusal:
        refuse_past_only("This leave", now - timedelta(hours=1), now + timedelta(seconds=20), SAO_PAULO, now=now)
    error = refusal.value
    assert error.code == "past_only.before_next_minute"
    assert error.params == {"end": "2026-12-02T10:30:32-03:00", "from": "2026-12-02T10:31:00-03:00"}


@pytest.mark.parametrize(
    "restriction, field, code",
    [
        ({"start_time": "08:00"}, "restrictions", "times_together"),
        ({"start_time": "08:00", "end_time": "08:00"}, "restrictions", "times_differ"),
        ({"weekdays": []}, "restrictions.weekdays", "weekday_required"),
    ],
)
def test_a_rotation_restriction_that_cannot_hold_says_which_way(restriction, field, code):
    (detail,) = RotationService._check_restriction(restriction)
    assert (detail["field"], detail.code) == (field, code)


def test_a_plugins_params_keep_the_code_of_their_schema_error():
    class Declaration:
        params_schema = {"type": "object", "properties": {"length": {"type": "integer", "minimum": 1}}}

    (detail,) = RotationService._check_params(Declaration, {"length": 0}, "params")
    assert detail == {"field": "params.length", "message": "0 is less than the minimum of 1"}
    assert (detail.code, detail.params) == ("minimum", {"limit": 1})


def test_business_hours_that_end_before_they_start_are_code_business_hours():
    from plugins.policies import BusinessHoursError

    assert BusinessHoursError("split: business_end must be after business_start").code == "business_hours"


# -- the admin panel translates by code -------------------------------------------------------


def test_the_admin_panel_fills_the_msgid_of_a_code_with_its_params():
    assert translate_error(echo, "minimum", {"limit": 5}, "0 is less than the minimum of 5") == "Must be at least 5."
    assert translate_error(echo, "enum", {"options": "a, b"}, "must be one of a, b") == "Choose one of: a, b."


def test_an_unknown_code_or_none_shows_the_message_as_an_invalid_value():
    assert translate_error(echo, "const", {}, "'a' was expected") == "Invalid value ('a' was expected)."
    assert translate_error(echo, None, None, "is reserved") == "Invalid value (is reserved)."


def test_the_admin_panel_puts_coded_details_next_to_their_fields():
    error = Invalid("Invalid override", [Detail("end", "must be after start", "after_start"),
                                         Detail("(body)", "is not a known field", "unknown_field"),
                                         {"field": "slug", "message": "is reserved"}])
    assert form_errors(echo, error) == (
        {"end": ["Must be after the start."], "slug": ["Invalid value (is reserved)."]},
        ["Unknown field."],
    )


def test_a_whole_request_error_is_translated_by_its_own_code():
    conflict = Conflict("A team with slug 'infra' already exists.", {"field": "slug"}, code="slug_taken")
    assert form_errors(echo, conflict) == ({"slug": ["A team with this address already exists."]}, [])
    uncomputable = Invalid("The roster cannot be computed: boom", code="roster_uncomputable",
                           params={"detail": "boom"})
    assert form_errors(echo, uncomputable) == ({}, ["The roster cannot be computed: boom"])


def test_every_code_the_admin_panel_knows_is_translated_in_pt_br():
    path = ROOT / "plantao/locale/pt_BR/LC_MESSAGES/plantao_admin.po"
    with path.open("rb") as handle:
        catalog = pofile.read_po(handle, locale="pt_BR")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(code for code, msgid in MESSAGES_BY_CODE.items() if msgid not in translated) == []


# -- no failure without a code -------------------------------------------------------------------

PACKAGE = ROOT / "plantao"
#: The errors of plantao.services.errors; subclasses defined elsewhere are found by the scan.
SERVICE_ERRORS = {"ServiceError", "BadRequest", "NotFound", "Conflict", "Invalid"}
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def modules() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(PACKAGE.rglob("*.py"))]


def called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def service_error_names(trees) -> set[str]:
    """ServiceError's family: its subclasses in plantao.services.errors and any a view declares."""
    names = set(SERVICE_ERRORS)
    classes = [node for _, tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for cls in classes:
            bases = {base.id if isinstance(base, ast.Name) else getattr(base, "attr", None) for base in cls.bases}
            if cls.name not in names and bases & names:
                names.add(cls.name)
                grew = True
    return names


def code_and_params(call: ast.Call, code_position: int) -> tuple[ast.expr | None, ast.expr | None]:
    """The ``code`` and ``params`` expressions of a call, given by keyword or (for Detail) by position."""
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    code, params = keywords.get("code"), keywords.get("params")
    if code is None and len(call.args) > code_position:
        code = call.args[code_position]
    if params is None and len(call.args) > code_position + 1:
        params = call.args[code_position + 1]
    return code, params


def coded_calls():
    """``(where, name, code expr, params expr)`` of every ServiceError and Detail built under plantao/."""
    trees = modules()
    errors = service_error_names(trees)
    for path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = called_name(node)
                # Detail.of(field, error) takes the error's own code.
                if name in errors or (name == "Detail" and isinstance(node.func, ast.Name)):
                    code, params = code_and_params(node, 2 if name == "Detail" else 99)
                    yield f"{path}:{node.lineno}", name, code, params
            elif isinstance(node, ast.Dict):
                keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
                if {"field", "message"} <= keys:
                    # A detail built as a plain dict can carry no code at all.
                    yield f"{path}:{node.lineno}", "dict", None, None


def test_the_scan_sees_the_service_errors():
    calls = list(coded_calls())
    assert len(calls) > 80
    assert {"BadRequest", "NotFound", "Conflict", "Invalid", "Detail", "FeedTokenRejected"} <= {c[1] for c in calls}


def test_every_service_error_and_detail_under_plantao_has_a_code():
    uncoded = [
        f"{where}: {'a {field, message} dict' if name == 'dict' else name + '(...)'} without a code"
        for where, name, code, _ in coded_calls()
        if code is None or (isinstance(code, ast.Constant) and not code.value)
    ]
    assert uncoded == [], "give each a stable code= (and the params= its message interpolates):\n" + "\n".join(uncoded)


def test_the_params_of_a_literal_code_fill_its_admin_msgid():
    missing = []
    for where, name, code, params in coded_calls():
        if not (isinstance(code, ast.Constant) and code.value in MESSAGES_BY_CODE and isinstance(params, ast.Dict)):
            continue
        given = {key.value for key in params.keys if isinstance(key, ast.Constant)}
        wanted = set(PLACEHOLDER.findall(MESSAGES_BY_CODE[code.value]))
        if not wanted <= given:
            missing.append(f"{where}: {code.value} lacks params {sorted(wanted - given)}")
    assert missing == []


# -- what the API layer refuses is coded too ----------------------------------------------------


class Request:
    """Just what the API helpers read of a request."""

    def __init__(self, body: bytes = b"", content_type: str = "application/json", **params):
        self.body = body
        self.content_type = content_type
        self.params = params
        self.matchdict = params


def api_refusal(call, *args) -> BadRequest | NotFound:
    with pytest.raises((BadRequest, NotFound)) as refusal:
        call(*args)
    return refusal.value


@pytest.mark.parametrize(
    "request_, code, params",
    [
        (Request(b"{}", "text/plain"), "body.content_type", {"content_type": "text/plain"}),
        (Request(b""), "body.empty", {}),
        (Request(b"{"), "body.malformed", None),
        (Request(b"[]"), "body.not_object", {"type": "list"}),
        (Request(b'{"a":' * 70 + b"1" + b"}" * 70), "body.too_deep", {"limit": 64}),
        (Request(b'{"a": "x\\u0000"}'), "body.nul", {}),
        (Request(b'{"a": "\\ud800"}'), "body.surrogate", {}),
    ],
)
def test_an_unreadable_body_says_why_by_code(request_, code, params):
    error = api_refusal(json_body, request_)
    assert error.code == code
    if params is not None:
        assert error.params == params


def test_a_bad_limit_cursor_or_id_is_coded():
    assert (api_refusal(limit, Request(limit="ten")).code, api_refusal(limit, Request(limit="ten")).params) == (
        "limit.not_a_number", {"value": "ten"})
    error = api_refusal(limit, Request(limit="0"))
    assert (error.code, error.params) == ("limit.range", {"maximum": 1000, "value": 0})
    assert api_refusal(decode_cursor, Request(cursor="!!")).code == "cursor"
    assert api_refusal(after_id, Request(cursor=encode_cursor(after=-1))).code == "cursor"
    error = api_refusal(path_int, Request(id="9" * 30), "id")
    assert (error.status, error.code, error.params) == (404, "not_found.id", {"name": "id", "value": int("9" * 30)})


def test_an_interval_ending_first_or_too_long_is_coded():
    start = datetime(2030, 1, 7, tzinfo=SAO_PAULO)
    error = api_refusal(interval, Request(start="2030-01-07", end="2030-01-01"), SAO_PAULO, start)
    assert (error.code, error.params) == (
        "interval.order", {"start": "2030-01-07T00:00:00-03:00", "end": "2030-01-01T00:00:00-03:00"})
    assert error.details == error.params
    error = api_refusal(interval, Request(start="2030-01-01", end="2040-01-01"), SAO_PAULO, start)
    assert (error.code, error.params) == ("interval.too_long", {"days": 732})


def test_codes_stay_out_of_the_api_answer():
    error = api_refusal(json_body, Request(b"[]"))
    assert (error.status, error.message, error.details) == (400, "The body must be a JSON object, got list.", None)


# -- the admin panel in Portuguese ---------------------------------------------------------------


@pytest.fixture
def portuguese():
    localizer = make_localizer("pt_BR", [str(PACKAGE / "locale")])

    def translate(msgid: str, **mapping) -> str:
        return localizer.translate(TranslationString(msgid, domain="plantao_admin", mapping=mapping or None))

    return translate


def test_a_reserved_slug_is_said_next_to_the_slug_in_portuguese(portuguese):
    teams = TeamService(SimpleNamespace(dbsession=None))
    with pytest.raises(Invalid) as refusal:
        teams.create({"slug": "new", "name": "New"})
    error = refusal.value
    assert (error.code, error.params) == ("reserved_slug", {"slug": "new"})
    assert error.details == [{"field": "slug", "message": "is reserved"}]
    assert form_errors(portuguese, error) == ({"slug": ["Este endereço é reservado; escolha outro."]}, [])


def test_a_shift_gone_from_the_team_is_translated_with_its_id(portuguese):
    error = NotFound("Team 'infra' has no shift with id 7.", code="not_found.shift", params={"team": "infra", "id": 7})
    assert form_errors(portuguese, error) == ({}, ["Esta equipe não tem plantão com id 7."])


def test_a_rotation_field_that_cannot_change_from_a_date_names_the_fields(portuguese):
    error = Invalid("Invalid rotation change", [Detail("effective_from", "name cannot change from a date",
                                                        "rotation.date_locked", {"fields": "name, policy"})])
    fields, general = form_errors(portuguese, error)
    assert list(fields) == ["effective_from"] and general == []
    assert fields["effective_from"][0].startswith("Estes campos não podem mudar a partir de uma data: name, policy.")


def test_a_name_with_a_line_break_is_asked_for_on_one_line_in_portuguese(portuguese):
    teams = TeamService(SimpleNamespace(dbsession=None))
    with pytest.raises(Invalid) as refusal:
        teams.create({"slug": "infra", "name": "Infra\nestrutura"})
    fields, general = form_errors(portuguese, refusal.value)
    assert fields == {"name": ["Escreva em uma linha só, sem quebras de linha nem caracteres de controle."]}
    assert general == []


def test_an_empty_date_is_asked_for_like_a_wrong_one_in_portuguese(portuguese):
    with pytest.raises(DateTimeError) as refusal:
        parse_instant("  ", zone("America/Sao_Paulo"))
    error = Invalid("Invalid leave", [Detail.of("start", refusal.value)])
    assert form_errors(portuguese, error) == ({"start": ["Digite uma data e hora válidas."]}, [])
