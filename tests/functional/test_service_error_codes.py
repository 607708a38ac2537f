"""The services' own checks carry a code and params, beside their English message.

The companion of ``tests/unit/services/test_error_codes.py`` for the checks
that need stored data (a taken slug, an unknown or deactivated person,
overlapping leave, a channel's settings).  The API answers with the
messages only; the admin panel translates these codes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from plantao.models import Delivery, Override
from plantao.services.context import ServiceContext
from plantao.services.errors import ServiceError
from plantao.services.locking import lock_team
from plantao.services.notification_settings import NotificationService
from plantao.services.oncall import OnCallService
from plantao.services.overrides import OverrideService
from plantao.services.people import PersonService
from plantao.services.rotations import RotationService
from plantao.services.teams import TeamService

FUTURE = "2030-01-07"


@pytest.fixture
def ctx(dbsession, settings, plugins):
    return ServiceContext(dbsession, settings, plugins)


@pytest.fixture
def team(ctx):
    return TeamService(ctx).create({"slug": "infra", "name": "Infra"})


@pytest.fixture
def ana(ctx):
    return PersonService(ctx).create({"name": "Ana"})


@pytest.fixture
def bia(ctx):
    people = PersonService(ctx)
    return people.deactivate(people.create({"name": "Bia"}))


def refusal(call, *args) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call(*args)
    return raised.value


def coded(error: ServiceError) -> list[tuple]:
    """``(field, code, params)`` of each detail."""
    return [(d["field"], d.code, d.params) for d in error.details]


# -- teams ---------------------------------------------------------------------------------


def test_a_taken_slug_is_slug_taken(ctx, team):
    error = refusal(TeamService(ctx).create, {"slug": "infra", "name": "Other"})
    assert (error.status, error.code, error.params) == (409, "slug_taken", {"slug": "infra"})


def test_a_fallback_person_unknown_or_deactivated_is_said_by_code(ctx, team, bia):
    teams = TeamService(ctx)
    assert coded(refusal(teams.update, team, {"fallback_person": 999})) == [
        ("fallback_person", "unknown_person", {"id": 999})
    ]
    assert coded(refusal(teams.update, team, {"fallback_person": bia.id})) == [
        ("fallback_person", "deactivated", {"name": "Bia"})
    ]


def test_an_unknown_team_time_zone_is_code_timezone(ctx, team):
    error = refusal(TeamService(ctx).update, team, {"timezone": "Mars/Base"})
    assert coded(error) == [("timezone", "timezone", {"name": "Mars/Base"})]


def test_custom_holidays_say_which_date_is_wrong(ctx, team):
    teams = TeamService(ctx)
    not_a_date = {"holidays": {"custom": [{"date": "2030-02-30", "name": "X"}]}}
    assert coded(refusal(teams.update, team, not_a_date)) == [
        ("holidays.custom.0.date", "not_a_date", {"value": "2030-02-30"})
    ]
    twice = {"holidays": {"custom": [{"date": "2030-12-25", "name": "X"}, {"date": "2030-12-25", "name": "Y"}]}}
    assert coded(refusal(teams.update, team, twice)) == [
        ("holidays.custom.1.date", "date_twice", {"date": "2030-12-25"})
    ]


# -- people and leave ---------------------------------------------------------------------------


def test_a_phone_that_is_not_one_is_code_phone(ctx):
    error = refusal(PersonService(ctx).create, {"name": "Caio", "phone": "123"})
    assert coded(error) == [("phone", "phone", {"value": "123"})]


def test_leave_that_cannot_be_read_or_ends_first_says_why(ctx, ana):
    people = PersonService(ctx)
    assert coded(refusal(people.add_leave, ana, {"start": "soon", "end": FUTURE})) == [("start/end", "datetime", {})]
    assert coded(refusal(people.add_leave, ana, {"start": FUTURE, "end": "2030-01-01"})) == [
        ("end", "after_start", {})
    ]


def test_overlapping_leave_is_leave_overlaps(ctx, ana):
    people = PersonService(ctx)
    first = people.add_leave(ana, {"start": "2030-01-01", "end": "2030-01-10"})
    error = refusal(people.add_leave, ana, {"start": "2030-01-05", "end": "2030-01-12"})
    assert (error.status, error.code, error.params) == (409, "leave_overlaps", {"id": first.id})


# -- overrides and rotations -----------------------------------------------------------------


def test_an_override_for_nobody_or_a_deactivated_person_or_ending_first(ctx, team, bia):
    overrides = OverrideService(ctx)
    body = {"start": FUTURE, "end": "2030-01-08"}
    unknown = refusal(overrides.create, team, {**body, "person": 999})
    assert coded(unknown) == [("person", "unknown_person", {"id": 999})]
    deactivated = refusal(overrides.create, team, {**body, "person": bia.id})
    assert coded(deactivated) == [("person", "deactivated", {"name": "Bia"})]
    backwards = {"person": bia.id, "start": "2030-01-08", "end": FUTURE}
    assert [code for _, code, _ in coded(refusal(overrides.create, team, backwards))] == ["deactivated", "after_start"]


def test_a_rotation_naming_unknown_plugins_or_people_says_which(ctx, team):
    rotations = RotationService(ctx)
    error = refusal(rotations.create, team, {"name": "Main", "policy": "nope", "members": [999],
                                             "rules": {"nope": {}}, "start": FUTURE})
    by_field = {field: (code, params) for field, code, params in coded(error)}
    assert by_field["members"] == ("unknown_person", {"id": 999})
    assert by_field["policy"][0] == "unknown_policy" and by_field["policy"][1]["name"] == "nope"
    assert "weekly" in by_field["policy"][1]["options"]
    assert by_field["rules.nope"][0] == "unknown_rule"


def test_business_hours_that_end_before_they_start_are_code_business_hours(ctx, team, ana):
    error = refusal(RotationService(ctx).create, team, {
        "name": "Split", "policy": "split", "members": [ana.id], "start": FUTURE,
        "params": {"business_start": "18:00", "business_end": "09:00"},
    })
    assert error.code == "business_hours"
    assert error.params["detail"] == "split: business_end must be after business_start"


# -- notification settings ------------------------------------------------------------------------


def test_a_masked_secret_with_nothing_stored_is_masked_secret(ctx, team):
    body = {"params": {"url": "https://example.com/hook", "secret": "********"}}
    error = refusal(NotificationService(ctx).put_channel, team, "webhook", body)
    assert (error.code, error.params) == ("masked_secret", {"key": "secret"})


def test_testing_a_channel_not_configured_is_channel_not_configured(ctx, team):
    error = refusal(NotificationService(ctx).send_test, team, "webhook", {})
    assert (error.code, error.params) == ("channel_not_configured", {"channel": "webhook", "team": "infra"})


def test_testing_a_channel_with_nowhere_to_send_is_no_destination(ctx, team):
    notifications = NotificationService(ctx)
    notifications.put_channel(team, "telegram", {"params": {"bot_token": "123456:abcdefghij"}})
    assert refusal(notifications.send_test, team, "telegram", {}).code == "no_destination"


def test_preferences_naming_unknown_channels_or_zones_say_which(ctx, ana):
    notifications = NotificationService(ctx)
    error = refusal(notifications.put_preferences, ana, {"events": {"reminder": ["pigeon", "fax"]}})
    assert (error.code, error.params) == ("unknown_channel", {"channels": "fax, pigeon"})
    error = refusal(notifications.put_preferences, ana, {"timezone": "Mars/Base"})
    assert (error.code, error.params) == ("timezone", {"name": "Mars/Base"})


def test_testing_a_channel_on_an_unknown_person_is_unknown_person(ctx, team):
    notifications = NotificationService(ctx)
    notifications.put_channel(team, "telegram", {"params": {"bot_token": "123456:abcdefghij"}})
    error = refusal(notifications.send_test, team, "telegram", {"person": 999})
    assert (error.status, error.code, error.params) == (422, "unknown_person", {"id": 999})
    assert (error.message, error.details) == ("person: no person with id 999.", None)


# -- what a request names that is not there ---------------------------------------------------------


def test_what_does_not_exist_is_not_found_with_what_names_it(ctx, team, ana):
    cases = [
        (TeamService(ctx).get, ("nope",), "not_found.team", {"slug": "nope"}),
        (OnCallService(ctx).team, ("nope",), "not_found.team", {"slug": "nope"}),
        (PersonService(ctx).get, (999,), "not_found.person", {"id": 999}),
        (RotationService(ctx).get, (team, 999), "not_found.rotation", {"team": "infra", "id": 999}),
        (OverrideService(ctx).get, (team, 999), "not_found.override", {"team": "infra", "id": 999}),
        (OverrideService(ctx).swap, (team, {"shifts": [998, 999]}), "not_found.shift", {"team": "infra", "id": 998}),
        (PersonService(ctx).get_leave, (ana, 999), "not_found.leave", {"person": ana.id, "id": 999}),
        (NotificationService(ctx).delivery, (999,), "not_found.delivery", {"id": 999}),
        (NotificationService(ctx).channel, (team, "webhook"), "not_found.channel_config",
         {"channel": "webhook", "team": "infra"}),
    ]
    for call, args, code, params in cases:
        error = refusal(call, *args)
        assert (error.status, error.code, error.params) == (404, code, params), code


def test_an_unknown_channel_names_the_installed_ones(ctx):
    error = refusal(NotificationService(ctx).plugin, "pigeon")
    assert (error.status, error.code, error.params["name"]) == (404, "not_found.channel", "pigeon")
    assert "webhook" in error.params["installed"] and error.params["installed"] in error.message


def test_a_row_removed_while_waiting_for_the_lock_is_removed_meanwhile(ctx, team, ana):
    override = OverrideService(ctx).create(team, {"person": ana.id, "start": FUTURE, "end": "2030-01-08"})
    override_id = override.id
    # Another request's delete, unknown to this session.
    ctx.dbsession.execute(delete(Override).where(Override.id == override_id),
                          execution_options={"synchronize_session": False})
    error = refusal(lock_team, ctx.dbsession, team, override)
    assert (error.status, error.code) == (404, "removed_meanwhile")
    assert error.params == {"what": "override", "id": override_id}


def test_a_sent_delivery_is_not_retryable(ctx):
    error = refusal(NotificationService(ctx).retry, Delivery(id=7, status="sent"))
    assert (error.status, error.code, error.params) == (409, "delivery.not_retryable", {"id": 7, "status": "sent"})


def test_a_role_the_team_does_not_have_is_unknown_role(ctx, team):
    error = refusal(OnCallService(ctx).at, team, None, "tertiary")
    assert (error.status, error.code, error.params) == (
        400, "unknown_role", {"team": "infra", "role": "tertiary", "roles": "none yet"})


# -- a team's and a rotation's own checks ---------------------------------------------------------


def test_a_reserved_slug_is_reserved_slug(ctx):
    error = refusal(TeamService(ctx).create, {"slug": "new", "name": "New"})
    assert (error.status, error.code, error.params) == (422, "reserved_slug", {"slug": "new"})
    assert coded(error) == [("slug", "reserved_slug", {"slug": "new"})]
    assert error.details == [{"field": "slug", "message": "is reserved"}]


def test_holidays_of_an_unknown_country_are_holidays_region(ctx, team):
    error = refusal(TeamService(ctx).update, team, {"holidays": {"country": "XX"}})
    assert error.code == "invalid.team"
    assert coded(error) == [("holidays", "holidays.region", {"country": "XX", "subdivision": None})]


def test_an_undated_field_changed_from_a_date_is_rotation_date_locked(ctx, team, ana):
    rotations = RotationService(ctx)
    rotation = rotations.create(team, {"name": "Main", "policy": "weekly", "members": [ana.id], "start": FUTURE})
    error = refusal(rotations.update, team, rotation, {"name": "Other", "priority": 3, "effective_from": "2030-02-01"})
    assert error.code == "invalid.rotation_change"
    assert coded(error) == [("effective_from", "rotation.date_locked", {"fields": "name, priority"})]
    assert "name, priority cannot change from a date" in error.message


def test_the_whole_request_codes_of_a_detailed_refusal(ctx, team, ana):
    people = PersonService(ctx)
    assert refusal(people.create, {"name": "Caio", "phone": "123"}).code == "phone"
    assert refusal(people.add_leave, ana, {"start": "soon", "end": FUTURE}).code == "datetime"
    assert refusal(people.add_leave, ana, {"start": FUTURE, "end": "2030-01-01"}).code == "after_start"
    unknown = refusal(OverrideService(ctx).create, team, {"person": 999, "start": FUTURE, "end": "2030-01-08"})
    assert unknown.code == "invalid.override"
