"""/api/v1/plugins: every installed plugin, with what an integrator needs to use it."""

from __future__ import annotations

POLICIES = {"daily", "weekly", "custom", "split"}
RULES = {"min_rest", "max_consecutive", "fair_holidays", "respect_leave"}


def test_every_built_in_policy_and_rule_is_listed(testapp):
    plugins = testapp.get("/api/v1/plugins").json["plugins"]

    found = {(p["kind"], p["name"]) for p in plugins}
    assert {("rotation_policy", name) for name in POLICIES} <= found
    assert {("scheduling_rule", name) for name in RULES} <= found


def test_each_plugin_says_its_title_parameter_schema_and_source_package(testapp):
    for plugin in testapp.get("/api/v1/plugins").json["plugins"]:
        assert plugin["title"], plugin["name"]
        assert plugin["params_schema"]["type"] == "object", plugin["name"]
        assert plugin["source"], plugin["name"]


def test_the_weekly_policy_documents_its_handoff_parameters(testapp):
    plugins = testapp.get("/api/v1/plugins", params={"kind": "rotation_policy"}).json["plugins"]

    weekly = next(p for p in plugins if p["name"] == "weekly")
    assert weekly["source"] == "plantao"
    assert set(weekly["params_schema"]["properties"]) == {"handoff_weekday", "handoff_time"}
    assert {p["kind"] for p in plugins} == {"rotation_policy"}


def test_plugins_may_be_filtered_by_kind(testapp):
    rules = testapp.get("/api/v1/plugins", params={"kind": "scheduling_rule"}).json["plugins"]
    assert {p["name"] for p in rules} >= RULES and {p["kind"] for p in rules} == {"scheduling_rule"}
