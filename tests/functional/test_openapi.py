"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that tells the truth.

Three promises: the document is valid OpenAPI 3.1; it describes every route
and method the app serves under /api/v1, no more and no less; and what the
API really answers, in a realistic session, matches the schemas it declares.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from pyramid.interfaces import IRoutesMapper
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from plantao.views.api.documentation import READ_SECURITY
from plantao.views.api.openapi import UndocumentedView, build_openapi
from plantao.routes import API
from tests.conftest import ADMIN_PASSWORD

ADMIN = {"Authorization": f"Bearer {ADMIN_PASSWORD}"}

DOCUMENT_URI = "urn:plantao:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture
def document(testapp):
    return testapp.get(f"{API}/openapi.json").json


# -- the document ---------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    validate_openapi(document)


def test_the_document_names_the_server_it_is_served_from(document):
    assert document["servers"] == [{"url": "http://localhost"}]


def test_with_a_domain_name_servers_and_feed_links_name_it_whatever_the_host(app_with):
    import webtest

    app = app_with(domain_name="plantao.example.org")
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10", "HTTP_HOST": "attacker.example:8080"})
    document = client.get(f"{API}/openapi.json").json
    assert document["servers"] == [{"url": "https://plantao.example.org"}]
    client.post_json(f"{API}/teams", {"slug": "ops", "name": "Ops"}, headers=ADMIN)
    links = client.get(f"{API}/teams/ops/feeds", headers=ADMIN).json["feeds"]
    ics = next(link for link in links if link["format"] == "ics")
    assert ics["url"].startswith("https://plantao.example.org/api/v1/teams/ops/export.ics?token=")
    assert ics["webcal"].startswith("webcal://plantao.example.org/api/v1/teams/ops/export.ics?token=")
    page = client.get("/teams/ops").text
    assert "attacker.example:8080/api" not in page
    assert "webcal://plantao.example.org/api/v1/teams/ops/export.ics" in page


def test_every_operation_documents_what_any_request_may_answer(document):
    responses = document["components"]["responses"]
    assert responses["TooManyRequests"]["headers"]["Retry-After"]
    assert responses["MethodNotAllowed"]["headers"]["Allow"]
    assert "405" in document["info"]["description"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            # Unreadable input, credentials, a body too large, throttling, the database down.
            assert statuses >= {"400", "401", "413", "429", "503"}, (method, path)
            if operation["security"] != READ_SECURITY and "/export." not in path:
                assert "403" in statuses, (method, path)
    for path in (f"{API}/teams/{{slug}}/export.{{format}}", f"{API}/people/{{id}}/export.{{format}}"):
        assert "304" in document["paths"][path]["get"]["responses"]


def test_creations_link_to_reading_changing_and_deleting_what_they_created(document):
    operations = {
        op["operationId"]: (path, op) for path, item in document["paths"].items() for op in item.values()
    }
    expected = {
        "createTeam": {"getTeam", "updateTeam", "deleteTeam"},
        "createPerson": {"getPerson", "updatePerson", "deactivatePerson"},
        "createRotation": {"getRotation", "updateRotation", "deleteRotation"},
        "createOverride": {"listOverrides", "deleteOverride"},
        "createLeave": {"listLeave", "deleteLeave"},
    }
    for source, targets in expected.items():
        links = operations[source][1]["responses"]["201"]["links"]
        assert {link["operationId"] for link in links.values()} >= targets, source
        for link in links.values():
            target_path, target = operations[link["operationId"]]
            # Every path parameter of the target is filled from the creation.
            assert set(re.findall(r"\{(\w+)\}", target_path)) == set(link["parameters"]), (source, link)


def test_the_document_is_stable_and_lists_the_installed_policies(app, document):
    again = build_openapi(app.registry, "http://localhost")
    assert again == document
    policies = sorted(app.registry.plugins.policies)
    assert document["x-plugins"]["rotation_policy"] == policies
    assert ", ".join(policies) in document["components"]["schemas"]["Rotation"]["properties"]["policy"]["description"]


def test_request_bodies_are_the_schemas_the_services_validate_with(document):
    from plantao.services.overrides import OVERRIDE_SCHEMA
    from plantao.services.rotations import ROTATION_CREATE_SCHEMA
    from plantao.services.teams import TEAM_CREATE_SCHEMA

    schemas = document["components"]["schemas"]
    assert schemas["TeamCreate"] == TEAM_CREATE_SCHEMA
    assert schemas["RotationCreate"] == ROTATION_CREATE_SCHEMA
    assert schemas["OverrideCreate"] == OVERRIDE_SCHEMA


# -- every route is described -----------------------------------------------------------


def served_operations(app) -> set[tuple[str, str]]:
    """(path template, method) of every view the app serves under /api/v1."""
    patterns = {
        route.name: re.sub(r"\{(\w+):(?:[^{}]|\{[^{}]*\})*\}", r"{\1}", route.pattern)
        for route in app.registry.getUtility(IRoutesMapper).get_routes()
        if route.pattern.startswith(API + "/")
    }
    served = set()
    for view in app.registry.introspector.get_category("views"):
        intr = view["introspectable"]
        if intr["route_name"] not in patterns:
            continue
        methods = intr["request_methods"]
        # A view without a method predicate answers every method: it must be
        # documented under each, which the comparison below then demands.
        methods = {methods} if isinstance(methods, str) else set(methods or ["ANY"])
        # Pyramid adds HEAD to GET views by itself; OpenAPI leaves it implied.
        served.update((patterns[intr["route_name"]], m.lower()) for m in methods - {"HEAD"})
    return served


def documented_operations(document) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_api_route_and_method_is_documented_and_nothing_else(app, document):
    served, documented = served_operations(app), documented_operations(document)
    assert len(served) > 20, "the introspection found too few views to be trusted"
    missing = sorted(served - documented)
    extra = sorted(documented - served)
    assert not missing and not extra, f"not documented: {missing}; documented but not served: {extra}"


def test_the_operations_are_the_views_with_their_docstrings(app, document):
    """Each operation comes from one registered view: its docstring is the summary."""
    operations = {(path, method): op for path, item in document["paths"].items() for method, op in item.items()}
    patterns = {
        route.name: re.sub(r"\{(\w+):(?:[^{}]|\{[^{}]*\})*\}", r"{\1}", route.pattern)
        for route in app.registry.getUtility(IRoutesMapper).get_routes()
    }
    seen = 0
    for view in app.registry.introspector.get_category("views"):
        intr = view["introspectable"]
        if not intr["route_name"] or not patterns[intr["route_name"]].startswith(API + "/"):
            continue
        function = getattr(intr["callable"], intr["attr"]) if intr["attr"] else intr["callable"]
        methods = intr["request_methods"]
        for method in {methods} if isinstance(methods, str) else methods:
            if method == "HEAD":
                continue
            operation = operations[(patterns[intr["route_name"]], method.lower())]
            first_line = function.__doc__.strip().split("\n\n")[0]
            assert operation["summary"] == " ".join(first_line.split()).replace("``", "`").removesuffix("."), intr.title
            seen += 1
    assert seen == len(operations)


def _api_views_and(extra_view):
    """A registry with the API's routes and views, and one more view on a new API route."""
    from pyramid.config import Configurator

    config = Configurator()
    config.include("plantao.routes")
    config.scan("plantao.views.api")
    config.add_route("api.extra", f"{API}/extra")
    extra_view(config)
    config.commit()
    return config.registry


def _undocumented(request):
    """A view nobody documented."""
    return {}


@pytest.mark.parametrize(
    "extra_view",
    [
        # A new route and method without @documented.
        lambda config: config.add_view(_undocumented, route_name="api.extra", request_method="GET", renderer="json"),
        # A view answering every method: the document could not list them.
        lambda config: config.add_view(_undocumented, route_name="api.extra", renderer="json"),
    ],
    ids=["undocumented", "every-method"],
)
def test_a_view_of_the_api_the_document_cannot_describe_stops_it_being_built(plugins, extra_view):
    registry = _api_views_and(extra_view)
    registry.plugins = plugins
    with pytest.raises(UndocumentedView, match="/api/v1/extra|_undocumented"):
        build_openapi(registry, "http://localhost")


def test_writes_and_the_audit_log_need_the_bearer_token(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "get" or path.endswith("/audit"):
                # A person's own notification preferences also open to their secret link,
                # and cover and swap requests to their action link.
                allowed = ([{"bearerAuth": []}], [{"bearerAuth": []}, {"feedToken": []}],
                           [{"bearerAuth": []}, {"actionToken": []}])
                assert operation["security"] in allowed, (method, path)
                assert "401" in operation["responses"], (method, path)


# -- real responses match the documented schemas ---------------------------------------------


class Contract:
    """Calls the API through WebTest and checks each answer against the document."""

    def __init__(self, testapp, document, admin_headers):
        import webtest

        self.testapp = testapp
        # DELETE goes around WebTest's WSGI lint: the app answers 204 with a
        # Content-Type (a known bug, pinned by tests/functional/api/
        # test_api_no_content.py) and warnings are errors.
        self.unlinted = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ, lint=False)
        self.document = document
        self.admin = admin_headers
        self.registry = Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        assert "date-time" in Draft202012Validator.FORMAT_CHECKER.checkers, "install rfc3339-validator"
        self.checked: set[tuple[str, str, int]] = set()

    def __call__(self, method, template, status, *, body=None, admin=True, headers=None, **params):
        path_params = {k: v for k, v in params.items() if "{" + k + "}" in template}
        query = {k: v for k, v in params.items() if k not in path_params}
        url = (API + template).format(**path_params)
        all_headers = {**(self.admin if admin else {}), **(headers or {})}
        if body is not None:
            response = getattr(self.testapp, f"{method.lower()}_json")(
                url, body, headers=all_headers, status=status
            )
        else:
            client = self.unlinted if method.upper() == "DELETE" else self.testapp
            response = client.request(
                url + ("?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items()) if query else ""),
                method=method.upper(),
                headers=all_headers,
                status=status,
            )
        self.check(method, API + template, response)
        return response.json if response.body and response.content_type == "application/json" else None

    def check(self, method, template, response):
        operation = self.document["paths"][template][method.lower()]
        status = str(response.status_int)
        assert status in operation["responses"], (
            f"{method} {template} answered {status}, which the document does not list: {response.text[:300]}"
        )
        pointer = "/paths/" + escape(template) + f"/{method.lower()}/responses/{status}"
        declared = operation["responses"][status]
        if "$ref" in declared:
            pointer = declared["$ref"].removeprefix("#")
            declared = self.resolve(pointer)
        self.checked.add((method.lower(), template, int(status)))
        if "content" not in declared:
            assert not response.body, f"{method} {template} {status} should have no body"
            return
        if response.content_type != "application/json":
            # Exports answer files (text/calendar, text/csv...): one of the declared media types.
            assert response.content_type in declared["content"], (method, template, response.content_type)
            return
        schema_uri = f"{DOCUMENT_URI}#{quote(pointer)}/content/application~1json/schema"
        validator = Draft202012Validator(
            {"$ref": schema_uri}, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = sorted(validator.iter_errors(response.json), key=lambda e: list(e.absolute_path))
        assert not errors, f"{method} {template} {status} disagrees with the document:\n" + "\n".join(
            f"  at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in errors[:10]
        )

    def resolve(self, pointer):
        node = self.document
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


def escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


@pytest.fixture
def api(testapp, document, admin_headers):
    return Contract(testapp, document, admin_headers)


def test_a_realistic_session_answers_as_documented(api, document):
    monday = date.today() - timedelta(days=date.today().weekday() + 14)

    # An API token for a script: shown once, listed without its secret, revoked.
    api_token = api("POST", "/tokens", 201, body={"name": "CI", "scopes": ["read"]})
    api("GET", "/tokens", 200)
    api("DELETE", "/tokens/{id}", 204, id=api_token["id"])

    # People, one of them with every contact.
    ana = api("POST", "/people", 201, body={
        "name": "Ana", "email": "ana@example.org", "phone": "+55 11 99999-0000",
        "telegram_chat_id": "12345", "chat": {"slack": "U024BE7LH"},
    })
    bruno = api("POST", "/people", 201, body={"name": "Bruno", "email": "bruno@example.org"})
    carla = api("POST", "/people", 201, body={"name": "Carla"})
    api("PATCH", "/people/{id}", 200, id=carla["id"], body={"phone": "+55 21 98888-0000"})
    api("GET", "/people", 200)
    api("GET", "/people", 200, admin=False, active="true", limit=2)
    api("GET", "/people/{id}", 200, id=ana["id"], admin=False)
    api("GET", "/people/{id}", 200, id=ana["id"])

    # A team with a holiday calendar and a fallback, and its rotations.
    api("POST", "/teams", 201, body={
        "slug": "infra", "name": "Infraestrutura", "timezone": "America/Sao_Paulo",
        "holidays": {"country": "BR", "subdivision": "SP", "custom": [{"date": "2030-01-25", "name": "Aniversário"}]},
        "fallback_person": carla["id"],
    })
    api("PATCH", "/teams/{slug}", 200, slug="infra", body={"name": "Infra"})
    api("GET", "/teams", 200, limit=1)
    api("GET", "/teams/{slug}", 200, slug="infra", admin=False)

    weekly = api("POST", "/teams/{slug}/rotations", 201, slug="infra", body={
        "name": "Semanal", "policy": "weekly", "members": [ana["id"], bruno["id"]],
        "start": f"{monday.isoformat()}T09:00", "params": {"handoff_weekday": 0, "handoff_time": "09:00"},
        "rules": {"min_rest": {"hours": 8}},
    })
    business = api("POST", "/teams/{slug}/rotations", 201, slug="infra", body={
        "name": "Expediente", "role": "secondary", "policy": "daily", "members": [bruno["id"], carla["id"]],
        "start": monday.isoformat(), "priority": 1,
        "restrictions": {"weekdays": [0, 1, 2, 3, 4], "start_time": "09:00", "end_time": "18:00"},
    })
    changed = api("PATCH", "/teams/{slug}/rotations/{id}", 200, slug="infra", id=weekly["id"], body={
        "members": [bruno["id"], ana["id"]], "effective_from": (monday + timedelta(days=21)).isoformat(),
    })
    assert len(changed["versions"]) == 2
    api("GET", "/teams/{slug}/rotations", 200, slug="infra")
    api("GET", "/teams/{slug}/rotations/{id}", 200, slug="infra", id=business["id"], admin=False)
    api("POST", "/teams/{slug}/rotations/preview", 200, slug="infra", body={
        "policy": "daily", "members": [ana["id"], carla["id"]], "start": monday.isoformat(),
    })
    api("POST", "/teams/{slug}/rotations/preview", 200, slug="infra", body={
        "id": weekly["id"], "policy": "weekly", "members": [carla["id"], ana["id"]],
    })

    # Overrides, leave and a swap.
    tomorrow = date.today() + timedelta(days=1)
    api("POST", "/teams/{slug}/overrides/preview", 200, slug="infra", body={
        "person": carla["id"], "start": f"{tomorrow}T12:00", "end": f"{tomorrow}T18:00",
    })
    override = api("POST", "/teams/{slug}/overrides", 201, slug="infra", body={
        "person": carla["id"], "start": f"{tomorrow}T12:00", "end": f"{tomorrow}T18:00", "reason": "consulta",
    })
    leave = api("POST", "/people/{id}/leave", 201, id=ana["id"], body={
        "start": (date.today() + timedelta(days=30)).isoformat(),
        "end": (date.today() + timedelta(days=35)).isoformat(), "reason": "férias",
    })
    api("GET", "/people/{id}/leave", 200, id=ana["id"], admin=False)
    shifts = api("GET", "/teams/{slug}/shifts", 200, slug="infra", role="primary",
                 end=(date.today() + timedelta(days=28)).isoformat())["shifts"]
    first = shifts[0]
    second = next(s for s in shifts if s["person"]["id"] != first["person"]["id"])
    api("POST", "/teams/{slug}/swaps/preview", 200, slug="infra", body={"shifts": [first["id"], second["id"]]})
    swap = api("POST", "/teams/{slug}/swaps", 201, slug="infra",
               body={"shifts": [first["id"], second["id"]], "reason": "troca"})
    api("GET", "/teams/{slug}/overrides", 200, slug="infra", limit=1)
    api("GET", "/teams/{slug}/overrides", 200, slug="infra", admin=False)

    # A cover request, made by the owner for the shift's holder, then cancelled for them.
    later = next(s for s in shifts if date.fromisoformat(s["start"][:10]) > date.today() + timedelta(days=9))
    request = api("POST", "/teams/{slug}/requests", 201, slug="infra",
                  body={"kind": "cover", "shift": later["id"], "note": "viagem"})
    api("GET", "/teams/{slug}/requests", 200, slug="infra", admin=False)
    api("GET", "/teams/{slug}/requests/{id}", 200, slug="infra", id=request["id"])
    cancelled = api("POST", "/teams/{slug}/requests/{id}/{action}", 200, slug="infra", id=request["id"],
                    action="cancel", body={"person": later["person"]["id"]})
    assert cancelled["status"] == "cancelled"

    # The roster as integrators read it.
    api("GET", "/teams/{slug}/oncall", 200, slug="infra", admin=False)
    api("GET", "/teams/{slug}/oncall", 200, slug="infra", role="secondary")
    api("GET", "/teams/{slug}/oncall", 200, slug="infra", at="2000-01-01T00:00")
    page = api("GET", "/teams/{slug}/shifts", 200, slug="infra", limit=2, admin=False)
    assert page["next"]
    api("GET", "/teams/{slug}/shifts", 200, slug="infra", limit=2, cursor=page["next"], person=bruno["id"])
    api("GET", "/teams/{slug}/gaps", 200, slug="infra")
    api("GET", "/teams/{slug}/gaps", 200, slug="infra", start=monday.isoformat(),
        end=(monday + timedelta(days=60)).isoformat())
    # How evenly the roster shares the burden, as JSON and as a spreadsheet.
    api("GET", "/teams/{slug}/fairness", 200, slug="infra")
    api("GET", "/teams/{slug}/fairness.csv", 200, slug="infra", start=monday.isoformat(), dialect="excel")
    # The monthly on-call hours for payroll: with a rate (the value column), as CSV, and a month closed.
    api("PATCH", "/people/{id}", 200, id=ana["id"], body={"hourly_rate": 30.5})
    this_month = date.today().strftime("%Y-%m")
    hours = api("GET", "/reports/hours", 200, month=this_month)
    assert hours["values"] and hours["people"]
    api("GET", "/reports/hours", 200, month=this_month, team="infra")
    api("GET", "/reports/hours.csv", 200, month=this_month, dialect="excel")
    api("POST", "/reports/hours/close", 201, body={"month": "2000-01"})
    # Exports, calendar feeds and their secret links.
    api("GET", "/teams/{slug}/export.{format}", 200, slug="infra", format="ics", admin=False, alarm=30)
    api("GET", "/teams/{slug}/export.{format}", 200, slug="infra", format="json", person=bruno["id"])
    api("GET", "/people/{id}/export.{format}", 200, id=ana["id"], format="csv", admin=False)
    api("GET", "/teams/{slug}/feeds", 200, slug="infra", admin=False)
    api("GET", "/people/{id}/feeds", 200, id=ana["id"])
    feeds = api("POST", "/teams/{slug}/feed-token", 200, slug="infra")["feeds"]
    assert {link["format"] for link in feeds} >= {"ics", "csv", "json"}
    api("POST", "/people/{id}/feed-token", 200, id=ana["id"])
    assert "token=" in api("POST", "/people/{id}/action-token", 200, id=ana["id"])["action_url"]
    # Notifications: a channel, timings, preferences; one dispatcher round, deliveries, a retry.
    api("PUT", "/teams/{slug}/notification-channels/{channel}", 200, slug="infra", channel="webhook",
        body={"params": {"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef0123"}})
    api("GET", "/teams/{slug}/notification-channels", 200, slug="infra")
    api("GET", "/teams/{slug}/notification-channels/{channel}", 200, slug="infra", channel="webhook")
    api("POST", "/teams/{slug}/notification-channels/{channel}/test", 200, slug="infra", channel="webhook", body={})
    api("PUT", "/teams/{slug}/notification-settings", 200, slug="infra", body={"reminder_leads": [1440, 60]})
    api("GET", "/teams/{slug}/notification-settings", 200, slug="infra")
    api("PUT", "/people/{id}/notification-preferences", 200, id=ana["id"],
        body={"language": "en", "quiet_hours": {"start": "22:00", "end": "07:00"}})
    api("GET", "/people/{id}/notification-preferences", 200, id=ana["id"])
    registry = api.testapp.app.registry
    from plantao.notifications.dispatcher import Dispatcher

    Dispatcher(registry["dbsession_factory"], registry.plantao_settings, registry.plugins).run_once()
    deliveries = api("GET", "/notifications/deliveries", 200, team="infra")["deliveries"]
    waiting = [d for d in deliveries if d["status"] == "pending"]
    api("POST", "/notifications/deliveries/{id}/retry", 200, id=waiting[0]["id"])
    api("DELETE", "/teams/{slug}/notification-channels/{channel}", 204, slug="infra", channel="webhook")
    api("GET", "/plugins", 200, admin=False)
    api("GET", "/plugins", 200, kind="rotation_policy")
    audit = api("GET", "/audit", 200, limit=3)
    api("GET", "/audit", 200, cursor=audit["next"], entity="rotation")
    api("GET", "/openapi.json", 200, admin=False)

    # Removing things.
    api("DELETE", "/teams/{slug}/overrides/{id}", 204, slug="infra", id=swap["overrides"][0]["id"])
    api("DELETE", "/teams/{slug}/overrides/{id}", 204, slug="infra", id=override["id"])
    api("DELETE", "/people/{id}/leave/{leave_id}", 204, id=ana["id"], leave_id=leave["id"])
    api("DELETE", "/teams/{slug}/rotations/{id}", 204, slug="infra", id=business["id"])
    assert api("DELETE", "/people/{id}", 200, id=bruno["id"])["active"] is False
    api("GET", "/people", 200, active="false")
    api("DELETE", "/teams/{slug}", 204, slug="infra")

    # Every operation of the document was exercised at least once with success.
    succeeded = {(method, path) for method, path, status in api.checked if status < 300}
    untested = sorted((p, m) for p, m in documented_operations(document) if (m, p) not in succeeded)
    assert not untested, f"operations the session did not exercise: {untested}"


def test_viewers_writes_throttling_and_unknown_methods_answer_as_documented(app_with):
    import webtest

    private = app_with(public_roster=False, viewer_password="a viewer's own password")
    client = webtest.TestApp(private, extra_environ={"REMOTE_ADDR": "192.0.2.20"})
    document = client.get(f"{API}/openapi.json", headers=ADMIN).json
    api = Contract(client, document, ADMIN)
    viewer = {"Authorization": "Bearer a viewer's own password"}
    api("GET", "/teams", 200, admin=False, headers=viewer)
    # 403: the viewer's credential is right, but only reads.
    api("POST", "/teams", 403, admin=False, headers=viewer, body={"slug": "x", "name": "X"})
    # 405, with Allow: described once for the whole document.
    response = client.put_json(f"{API}/teams", {}, headers=ADMIN, status=405)
    assert response.headers["Allow"]
    Draft202012Validator(document["components"]["schemas"]["Error"]).validate(response.json)
    # 429: wrong guesses from one address lock it out, with Retry-After.
    for attempt in range(50):
        guess = client.get(f"{API}/teams", headers={"Authorization": f"Bearer guess {attempt}"}, expect_errors=True)
        if guess.status_int == 429:
            break
    answer = client.get(f"{API}/teams", headers={"Authorization": "Bearer one more guess"}, status=429)
    assert answer.headers["Retry-After"]
    api.check("GET", f"{API}/teams", answer)


def test_errors_answer_as_documented(api):
    person = api("POST", "/people", 201, body={"name": "Dora"})
    api("POST", "/teams", 201, body={"slug": "ops", "name": "Ops"})

    # 404: what the path names does not exist.
    api("GET", "/teams/{slug}", 404, slug="nope")
    api("GET", "/people/{id}", 404, id=999999)
    api("GET", "/teams/{slug}/rotations/{id}", 404, slug="ops", id=999999)
    api("DELETE", "/people/{id}/leave/{leave_id}", 404, id=person["id"], leave_id=999999)
    api("GET", "/teams/{slug}/oncall", 404, slug="nope")
    # 401: writes and the audit log need the admin token.
    api("POST", "/teams", 401, admin=False, body={"slug": "x", "name": "X"})
    api("GET", "/audit", 401, admin=False)
    api("DELETE", "/teams/{slug}", 401, slug="ops", headers={"Authorization": "Bearer wrong"}, admin=False)
    # 400: unreadable requests.
    api("GET", "/teams", 400, limit="many")
    api("GET", "/people", 400, active="maybe")
    api("GET", "/plugins", 400, kind="nonsense")
    api("GET", "/teams/{slug}/shifts", 400, slug="ops", start="2025-02-01", end="2025-01-01")
    api("GET", "/teams/{slug}/fairness", 400, slug="ops", start="2020-01-01", end="2025-01-01")
    api("GET", "/teams/{slug}/oncall", 400, slug="ops", at="yesterday")
    api("GET", "/teams/{slug}/export.{format}", 400, slug="ops", format="ics", alarm="0")
    api("GET", "/teams/{slug}/export.{format}", 404, slug="ops", format="xlsx")
    api("GET", "/people/{id}/export.{format}", 401, id=person["id"], format="ics", token="wrong", admin=False)
    # 409: clashes with stored data.
    api("POST", "/teams", 409, body={"slug": "ops", "name": "Ops again"})
    api("POST", "/people/{id}/leave", 201, id=person["id"], body={"start": "2030-01-01", "end": "2030-01-10"})
    api("POST", "/people/{id}/leave", 409, id=person["id"], body={"start": "2030-01-05", "end": "2030-01-12"})
    # 422: readable but wrong bodies.
    api("POST", "/teams", 422, body={"slug": "Bad Slug", "name": ""})
    api("POST", "/teams/{slug}/rotations", 422, slug="ops", body={"name": "R", "policy": "nonexistent"})
    api("POST", "/teams/{slug}/overrides", 422, slug="ops",
        body={"person": 999999, "start": "2030-01-01", "end": "2030-01-02"})
    api("PATCH", "/people/{id}", 422, id=person["id"], body={"email": "not an email"})
    api("POST", "/teams/{slug}/swaps", 422, slug="ops", body={"shifts": [1]})
    # 413: a body over MAX_REQUEST_BODY_BYTES, refused unread.
    api("POST", "/teams", 413, body={"slug": "big", "name": "x" * 1_100_000})
    api("PATCH", "/teams/{slug}", 413, slug="ops", body={"name": "x" * 1_100_000})
