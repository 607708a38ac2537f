"""A third-party policy plugin, installed as a real distribution, works end to end.

The test writes a tiny distribution, ``plantao-fortnightly``, whose only
module declares a ``fortnightly`` rotation policy through the ``plantao``
entry-point group, exactly as the plugin docs tell an author to.  It builds
a wheel from it and installs the wheel into a directory of its own (never
into the virtual environment, which other tests share), then shows that the
policy is listed by ``plantao plugins`` and ``GET /api/v1/plugins`` with its
source package, that a rotation can use it through the API, and that it
passes the contract suite plugin authors run.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plantao.testing import RotationPolicyContract
from tests.live_server import run_checked
from tests.plugin_distribution import PluginDistribution

pytestmark = pytest.mark.slow

DISTRIBUTION = "plantao-fortnightly"
MODULE = "plantao_fortnightly"
POLICY = "fortnightly"

# What a plugin author would write: only the public names of
# plantao.engine.policies and plantao.hookspecs, nothing private.
PLUGIN_SOURCE = '''\
"""A rotation policy with two-week shifts."""

from datetime import timedelta

from plantao.engine.policies import (
    CLOCK_SCHEMA,
    RotationPolicy,
    Slot,
    local_date,
    parse_clock,
    slot_labels,
    wall_clock,
)
from plantao.hookspecs import hookimpl

LENGTH = timedelta(days=14)


class FortnightlyPolicy(RotationPolicy):
    """Shifts of fourteen local days, handed over at the same local time."""

    name = "fortnightly"
    title = {"pt-BR": "Quinzenal", "en": "Fortnightly"}
    description = {
        "pt-BR": "Um plantão a cada duas semanas, contado a partir do início do rodízio.",
        "en": "One shift every two weeks, counted from the start of the rotation.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "handoff_time": {
                **CLOCK_SCHEMA,
                "default": "09:00",
                "title": "Handoff time",
                "description": "Local time (HH:MM) at which one shift hands over to the next.",
            },
        },
    }

    def slots(self, ctx, start, end):
        at = parse_clock(self.defaults(ctx.params)["handoff_time"])
        base = local_date(ctx.anchor, ctx.tz)

        def boundary(number):
            return wall_clock(base + number * LENGTH, at, ctx.tz)

        # The slot holding the anchor is number 0 (it may begin the day
        # before, when the rotation starts before the handoff time).
        first = 0 if boundary(0) <= ctx.anchor else -1
        number = first
        begin = max(start, ctx.anchor)
        while boundary(number + 1) <= begin:
            number += 1
        while boundary(number) < end:
            slot_start, slot_end = boundary(number), boundary(number + 1)
            yield Slot(
                start=slot_start,
                end=slot_end,
                queue="members",
                candidates=ctx.members,
                index=number - first,
                labels=slot_labels(slot_start, slot_end, ctx.tz, ctx.holidays),
            )
            number += 1


@hookimpl
def register_rotation_policies():
    return [FortnightlyPolicy()]
'''


FORTNIGHTLY = PluginDistribution(
    name=DISTRIBUTION,
    module=MODULE,
    entry_points={POLICY: MODULE},
    source=PLUGIN_SOURCE,
    description="Fortnightly on-call shifts for Plantão",
)


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """A directory holding the installed ``plantao-fortnightly`` distribution."""
    return FORTNIGHTLY.install(tmp_path_factory.mktemp("fortnightly"))


# -- the command line -----------------------------------------------------------


def plantao_plugins(site: Path, *arguments: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    command = Path(sys.executable).with_name("plantao")
    return run_checked([command, "plugins", *arguments], timeout=60, env=env)


def test_plantao_plugins_lists_the_installed_policy_with_its_package(plugin_site):
    listing = plantao_plugins(plugin_site)
    # Declarations are listed under a "kind:" heading each.
    by_kind: dict[str, dict[str, list[str]]] = {}
    kind = None
    for line in listing.splitlines():
        if not line.startswith(" "):
            kind = line.rstrip(":")
            by_kind[kind] = {}
        elif line.strip():
            name, *rest = line.split()
            by_kind[kind][name] = rest
    policies = by_kind.get("rotation_policy", {})
    assert POLICY in policies, f"{POLICY} is not listed:\n{listing}"
    assert policies[POLICY][-1] == f"[{DISTRIBUTION}]"
    assert "Fortnightly" in policies[POLICY]
    assert policies["daily"][-1] == "[plantao]"

    infos = json.loads(plantao_plugins(plugin_site, "--json"))
    policies = {info["name"]: info for info in infos if info["kind"] == "rotation_policy"}
    assert {"daily", "weekly", POLICY} <= set(policies)
    assert policies[POLICY]["source"] == DISTRIBUTION
    assert policies[POLICY]["module"] == MODULE


def test_without_the_plugin_the_policy_is_not_listed(plugin_site):
    # The installation went to its own directory: the environment itself
    # (what every other test and process sees) does not have it.
    infos = json.loads(run_checked([Path(sys.executable).with_name("plantao"), "plugins", "--json"], timeout=60))
    assert POLICY not in {info["name"] for info in infos}


# -- the web application --------------------------------------------------------


@pytest.fixture
def plugin_testapp(plugin_site, settings, clean_engine):
    """The whole app, built with the plugins installed at that moment."""
    import webtest

    from plantao.app import make_app
    from plantao.plugins import build_registry

    with FORTNIGHTLY.importable(plugin_site):
        registry = build_registry()
        app = make_app(settings, plugins=registry, engine=clean_engine)
        yield webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})



def test_the_api_lists_the_policy_with_its_package_and_schema(plugin_testapp):
    found = plugin_testapp.get("/api/v1/plugins", params={"kind": "rotation_policy"}).json["plugins"]
    by_name = {info["name"]: info for info in found}
    assert POLICY in by_name, f"{POLICY} is not listed: {sorted(by_name)}"
    info = by_name[POLICY]
    assert info["source"] == DISTRIBUTION
    assert info["module"] == MODULE
    assert info["title"] == {"pt-BR": "Quinzenal", "en": "Fortnightly"}
    handoff = info["params_schema"]["properties"]["handoff_time"]
    assert handoff["default"] == "09:00"
    assert handoff["type"] == "string"
    # The built-ins come from Plantão's own distribution, not from the plugin.
    assert by_name["daily"]["source"] == "plantao"


def test_a_rotation_can_use_the_policy(plugin_testapp, admin_headers):
    app, ADMIN = plugin_testapp, admin_headers
    people = [
        app.post_json("/api/v1/people", {"name": name}, headers=ADMIN).json["id"]
        for name in ("Ana", "Bruno", "Carla")
    ]
    app.post_json(
        "/api/v1/teams", {"slug": "infra", "name": "Infra", "timezone": "America/Sao_Paulo"}, headers=ADMIN
    )
    tz = ZoneInfo("America/Sao_Paulo")
    # Started three weeks ago, so the roster holds a shift in progress.
    start = datetime.combine(datetime.now(tz).date() - timedelta(days=21), datetime.min.time(), tz)
    start = start.replace(hour=10)
    created = app.post_json(
        "/api/v1/teams/infra/rotations",
        {
            "name": "Quinzenal",
            "policy": POLICY,
            "params": {"handoff_time": "10:00"},
            "members": people,
            "start": start.isoformat(),
        },
        headers=ADMIN,
        status=201,
    ).json
    assert created["policy"] == POLICY

    shifts = app.get(
        "/api/v1/teams/infra/shifts",
        params={"start": start.isoformat(), "end": (start + timedelta(days=84)).isoformat()},
    ).json["shifts"]
    # Shifts that had ended before the rotation was created are not stored:
    # the roster begins with the second fortnight, in progress now.
    assert len(shifts) == 5, shifts
    now = datetime.now(tz)
    assert datetime.fromisoformat(shifts[0]["start"]) <= now < datetime.fromisoformat(shifts[0]["end"])
    for number, shift in enumerate(shifts, start=1):
        begins = datetime.fromisoformat(shift["start"])
        ends = datetime.fromisoformat(shift["end"])
        assert begins.date() == start.date() + timedelta(days=14 * number)
        assert (begins.hour, begins.minute) == (10, 0)
        assert ends.date() - begins.date() == timedelta(days=14)
        assert shift["person"]["id"] == people[number % len(people)]
        assert shift["rotation_id"] == created["id"]
    assert [s["end"] for s in shifts[:-1]] == [s["start"] for s in shifts[1:]]

    # And an invalid parameter is refused with the plugin's own schema.
    app.post_json(
        "/api/v1/teams/infra/rotations",
        {"name": "Bad", "policy": POLICY, "params": {"handoff_time": "25:00"}, "members": people},
        headers=ADMIN,
        status=422,
    )


def test_the_plugin_module_is_forgotten_afterwards(plugin_site):
    # Nothing of the plugin leaks into the rest of the test session.
    with FORTNIGHTLY.importable(plugin_site):
        importlib.import_module(MODULE)
    assert MODULE not in sys.modules
    assert str(plugin_site) not in sys.path
    with pytest.raises(ImportError):
        importlib.import_module(MODULE)


# -- the contract suite -----------------------------------------------------------


class TestFortnightlyPolicyContract(RotationPolicyContract):
    """The checks a plugin author runs, on the policy as installed from the wheel."""

    params = ({}, {"handoff_time": "00:00"}, {"handoff_time": "02:30"})

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def installed_policy(cls, plugin_site):
        with FORTNIGHTLY.importable(plugin_site):
            cls.policy = importlib.import_module(MODULE).FortnightlyPolicy()
            yield
        del cls.policy
