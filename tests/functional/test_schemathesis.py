"""schemathesis drives every operation of the OpenAPI document against the app.

``tests/functional/test_openapi.py`` checks a realistic session by hand;
here schemathesis generates the requests from the document itself (valid
and invalid bodies, parameters and headers) and checks each answer: never a
5xx, a status the operation documents, a body that matches its schema, a
declared media type.  It runs as the admin (``Bearer ADMIN_PASSWORD``), so
writes really write, on SQLite and on PostgreSQL.

The stateful run follows the document's OpenAPI ``links`` (create a team,
then read, change and delete it...), so it reaches the states a fresh,
empty database never shows to the per-operation run.

Examples are bounded and derandomized, so the per-operation run is the same
every time; the stateful one also follows schemathesis' own exploration
(now and then it ignores a link on purpose, with true randomness).  Both
take a few minutes for the two databases (the cost is in the README).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from plantao.models import Base
from plantao.views.api.openapi import LINKS, build_openapi
from plantao.plugins import build_registry
from plantao.routes import API
from tests.conftest import ADMIN_PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]

#: Fixed, so a failure seen once is seen again on every run and machine.
SEED = 20261202

#: Per operation and database; the whole run stays within a few minutes.
MAX_EXAMPLES = 20

#: Scenarios of the stateful run and their length.
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 20

#: The creations with links, and where they lead.
STATEFUL_OPERATIONS = sorted({*LINKS, *(target for targets in LINKS.values() for target in targets)})

ADMIN = {"Authorization": f"Bearer {ADMIN_PASSWORD}"}

HYPOTHESIS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # Generating a roster's worth of nested bodies is slow by design, and
    # schemathesis filters the strategies it builds from the document.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def load_schema(app, stateful: bool = False):
    """The document as the app serves it, bound to the app (no network).

    Stateful scenarios send only valid requests: an invalid step would end
    a scenario before it reaches what the links lead to.
    """
    config = {"seed": SEED}
    if stateful:
        # Only the document's own links: inferred ones guess at parameters.
        config["phases"] = {"stateful": {"generation": {"mode": "positive"}, "inference": {"algorithms": []}}}
    config = SchemathesisConfig.from_dict(config)
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app, config=config)


def operation_ids() -> list[str]:
    """Every operationId of the document, known before any app is built."""
    document = build_openapi(build_registry(), "http://localhost")
    return [
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


@dataclass(frozen=True)
class Seed:
    """What the run finds stored, so generated requests reach more than 404s."""

    team: str
    person: int
    rotation: int
    override: int
    leave: int

    def path_parameters(self, path: str) -> dict | None:
        """Path parameters naming stored things, or None when the path names none of them."""
        params = {}
        if "{slug}" in path:
            params["slug"] = self.team
        if "{channel}" in path:
            params["channel"] = "webhook"
        if "{leave_id}" in path:
            params["leave_id"] = self.leave
        if "{id}" in path:
            if "/rotations/" in path:
                params["id"] = self.rotation
            elif "/overrides/" in path:
                params["id"] = self.override
            elif path.startswith(f"{API}/people/"):
                params["id"] = self.person
            else:
                return None
        return params or None


def seed(app) -> Seed:
    import webtest

    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})

    def post(path, body):
        return client.post_json(API + path, body, headers=ADMIN).json

    ana = post("/people", {"name": "Ana", "email": "ana@example.org", "phone": "+55 11 99999-0000"})
    bruno = post("/people", {"name": "Bruno"})
    post("/teams", {"slug": "ops", "name": "Ops", "fallback_person": ana["id"]})
    monday = date.today() - timedelta(days=date.today().weekday())
    rotation = post("/teams/ops/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [ana["id"], bruno["id"]], "start": monday.isoformat(),
    })
    tomorrow = date.today() + timedelta(days=1)
    override = post("/teams/ops/overrides", {
        "person": bruno["id"], "start": f"{tomorrow}T12:00", "end": f"{tomorrow}T18:00",
    })
    leave = post(f"/people/{ana['id']}/leave", {
        "start": (tomorrow + timedelta(days=10)).isoformat(), "end": (tomorrow + timedelta(days=12)).isoformat(),
    })
    # A receiver that refuses at once: test messages fail fast, without the network.
    client.put_json(f"{API}/teams/ops/notification-channels/webhook",
                    {"params": {"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef0123"}}, headers=ADMIN)
    return Seed("ops", ana["id"], rotation["id"], override["id"], leave["id"])


@pytest.mark.parametrize("operation_id", operation_ids())
def test_every_operation_answers_as_documented(app, operation_id):
    stored = seed(app)
    operation = load_schema(app).find_operation_by_id(operation_id)
    # Valid requests on stored things and on anything; invalid ones must be
    # refused with a documented 4xx.
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    path_parameters = stored.path_parameters(operation.path)
    if path_parameters:
        strategies.insert(
            0, operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=path_parameters)
        )

    @HYPOTHESIS
    @given(case=st.one_of(strategies))
    def answers_as_documented(case):
        case.call_and_validate(headers=ADMIN, checks=CHECKS)

    answers_as_documented()


def forget_everything(engine) -> None:
    """Empty every table, as a fresh install, but move the roster revision on.

    Each stateful scenario starts from the same empty database, so replaying
    one (Hypothesis does, to shrink) sends the same requests and gets the
    same answers.  The revision only grows: in-memory caches keyed by it
    never serve an answer of an earlier scenario.
    """
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "roster_state"]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
            if connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
                connection.execute(text("DELETE FROM sqlite_sequence"))
        connection.execute(text("UPDATE roster_state SET revision = revision + 1"))


def steer_towards_stored_data(schema) -> None:
    """Make creations' bodies valid where the document cannot say what valid is.

    Zones, dates, policies and people's ids are plain strings and integers
    to the document; random ones would make nearly every creation a 422 and
    leave the links nothing to follow.  Everything else stays generated.
    """

    @schema.hook
    def map_body(context, body):
        if not isinstance(body, dict):
            return body
        operation = context.operation.definition.raw.get("operationId") if context.operation else None
        # Spread over a month, so some leave and overrides overlap (409) and most do not.
        day = date.today() + timedelta(days=1 + len(str(body)) % 30)
        if operation in ("createTeam", "updateTeam"):
            body["timezone"] = "America/Sao_Paulo"
            body.pop("holidays", None)
            body.pop("fallback_person", None)
        elif operation in ("createRotation", "updateRotation"):
            body.update(params={}, members=[])
            body.pop("rules", None)
            body.pop("restrictions", None)
            if operation == "createRotation":
                body.update(policy="weekly", start=day.isoformat())
            else:
                body.update(effective_from=day.isoformat())
                body.pop("policy", None)
        elif operation == "createOverride":
            # Ids restart with each scenario: 1 is its first person, when it made one.
            body.update(person=1, start=f"{day}T09:00", end=f"{day}T12:00")
        elif operation == "createLeave":
            body.update(start=day.isoformat(), end=(day + timedelta(days=2)).isoformat())
        return body


def test_stateful_scenarios_follow_the_links(app, clean_engine):
    schema = load_schema(app, stateful=True).include(operation_id=STATEFUL_OPERATIONS)
    steer_towards_stored_data(schema)
    machine = schema.as_state_machine()

    succeeded = set()

    class AsAdmin(machine):
        def setup(self):
            forget_everything(clean_engine)

        def get_call_kwargs(self, case):
            return {"headers": ADMIN}

        def after_call(self, response, case):
            super().after_call(response, case)
            if response.status_code < 300:
                succeeded.add(case.operation.definition.raw["operationId"])

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            __tracebackhide__ = True
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    AsAdmin.run(
        settings=hypothesis_settings(
            HYPOTHESIS, max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS
        )
    )
    # Reads by a path only a creation's answer gives: the links were followed.
    assert {"createTeam", "getTeam", "createPerson", "getPerson"} <= succeeded, sorted(succeeded)
