"""Plugin discovery: built-ins come through the same entry points as anybody."""

from __future__ import annotations

import pytest

from plantao.hookspecs import hookimpl
from plantao.plugins import PluginError, build_plugin_manager, build_registry


class Declaration:
    title = {"pt-BR": "Teste", "en": "Test"}
    description = {"pt-BR": "Teste", "en": "Test"}
    params_schema = {"type": "object", "properties": {}}

    def __init__(self, name):
        self.name = name


class ExtraPolicies:
    def __init__(self, *names):
        self.names = names

    @hookimpl
    def register_rotation_policies(self):
        return [Declaration(name) for name in self.names]


def test_built_in_plugins_are_discovered_through_the_plantao_entry_point_group():
    registry = build_registry()
    builtin = [info for info in registry.infos if info.module.startswith("plantao_plugins.")]
    assert builtin, "no built-in plugin was discovered"
    assert {info.source for info in builtin} == {"plantao"}
    assert {"daily", "weekly", "custom", "split"} <= set(registry.policies)


def test_without_entry_points_nothing_is_built_in():
    registry = build_registry(build_plugin_manager(entry_points=False))
    assert registry.policies == {} and registry.infos == []


def test_a_directly_registered_plugin_adds_its_declarations():
    registry = build_registry(build_plugin_manager([ExtraPolicies("fortnightly")], entry_points=False))
    assert list(registry.policies) == ["fortnightly"]
    assert registry.infos[0].kind == "rotation_policy"


def test_two_plugins_declaring_the_same_name_stop_start_up():
    manager = build_plugin_manager([ExtraPolicies("weekly")])
    with pytest.raises(PluginError, match="'weekly' is declared twice"):
        build_registry(manager)


def test_a_declaration_without_its_metadata_is_refused():
    class Broken:
        @hookimpl
        def register_export_formats(self):
            return [object()]

    with pytest.raises(PluginError, match="without name, title, description, params_schema"):
        build_registry(build_plugin_manager([Broken()], entry_points=False))
