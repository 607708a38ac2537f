"""Plugin discovery: built-ins come through the same entry points as anybody."""

from __future__ import annotations

import pytest

from plantao.plugin_api import ExportFormat, NotificationChannel, RotationPolicy, hookimpl
from plantao.plugins import PluginError, build_plugin_manager, build_registry


class Declaration(RotationPolicy):
    title = {"pt-BR": "Teste", "en": "Test"}
    description = {"pt-BR": "Teste", "en": "Test"}
    params_schema = {"type": "object", "properties": {}}

    def __init__(self, name):
        self.name = name

    def slots(self, ctx, start, end):
        return iter(())


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


def _registry_of(*declarations, kind_hook="register_notification_channels", entry_points=False):
    class Plugin:
        pass

    setattr(Plugin, kind_hook, hookimpl(lambda self: list(declarations)))
    return build_registry(build_plugin_manager([Plugin()], entry_points=entry_points))


class DuckChannel:
    """Every attribute a channel has, but not the base class."""

    name = "pager"
    title = {"pt-BR": "Pager", "en": "Pager"}
    description = {"pt-BR": "Pager", "en": "Pager"}
    params_schema = {"type": "object"}

    def send(self, message, destination, params, delivery):
        pass


def test_a_declaration_that_is_not_an_instance_of_its_kinds_base_is_refused():
    with pytest.raises(PluginError) as caught:
        _registry_of(DuckChannel())
    message = str(caught.value)
    assert "notification_channel 'pager'" in message
    assert "not a plantao.plugin_api.NotificationChannel" in message
    assert "(distribution (registered directly))" in message


def test_a_channel_without_send_is_refused_at_start_up():
    class Silent(NotificationChannel):
        name = "silent"
        title = description = {"pt-BR": "Mudo", "en": "Silent"}

    with pytest.raises(PluginError, match=r"notification_channel 'silent' without implementing send\(\)"):
        _registry_of(Silent())


def test_an_export_format_without_render_is_refused_at_start_up():
    class Blank(ExportFormat):
        name = "blank"
        title = description = {"pt-BR": "Vazio", "en": "Blank"}

    with pytest.raises(PluginError, match=r"export_format 'blank' without implementing render\(\)"):
        _registry_of(Blank(), kind_hook="register_export_formats")


class Weekly(Declaration):
    replaces_builtin = True

    def __init__(self):
        super().__init__("weekly")


def test_a_third_party_declaration_replaces_a_builtin_when_it_says_so():
    replacement = Weekly()
    registry = build_registry(build_plugin_manager([ExtraPolicies("fortnightly"), _Provides(replacement)]))
    assert registry.policies["weekly"] is replacement
    [info] = [info for info in registry.infos if info.kind == "rotation_policy" and info.name == "weekly"]
    assert info.source == "(registered directly)"
    # Every other built-in stays.
    assert {"daily", "custom", "split", "fortnightly"} <= set(registry.policies)


def test_the_replacement_wins_whichever_order_the_hooks_run_in():
    import pluggy

    from plantao import hookspecs

    replacement = Weekly()
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    # Registered before the built-ins this time, so pluggy calls it last.
    manager.register(_Provides(replacement))
    manager.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
    assert build_registry(manager).policies["weekly"] is replacement


def test_replaces_builtin_never_settles_a_clash_between_two_third_party_plugins():
    manager = build_plugin_manager([_Provides(Weekly()), _Provides(Weekly())], entry_points=False)
    with pytest.raises(PluginError, match="'weekly' is declared twice"):
        build_registry(manager)


class _Provides:
    def __init__(self, *declarations):
        self.declarations = declarations

    @hookimpl
    def register_rotation_policies(self):
        return list(self.declarations)


def test_the_plugin_guide_imports_only_from_the_plugin_api():
    import re

    from plantao.resources import PACKAGE_DIR

    guide = (PACKAGE_DIR.parent / "docs" / "plugins.md").read_text()
    code = "\n".join(re.findall(r"```python\n(.*?)```", guide, re.S))
    modules = set(re.findall(r"^\s*from (plantao[\w.]*) import", code, re.M))
    assert modules == {"plantao.plugin_api", "plantao.testing"}, modules
