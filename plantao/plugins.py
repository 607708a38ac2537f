"""The plugin manager and the registries built from it.

Plugins are found through the ``plantao`` entry-point group, built-in ones
included.  Each ``register_*`` hook returns declarations; they are collected
here into one registry per kind, keyed by name.  A declaration without the
attributes every kind needs, or two declarations of the same name, stop
start-up with a message naming the plugins involved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pluggy

from . import hookspecs

#: kind -> the hook that registers it.
KINDS = {
    "rotation_policy": "register_rotation_policies",
    "scheduling_rule": "register_scheduling_rules",
    "notification_channel": "register_notification_channels",
    "export_format": "register_export_formats",
}

REQUIRED_ATTRIBUTES = ("name", "title", "description", "params_schema")


class PluginError(Exception):
    """A plugin is broken: the message says which and how."""


@dataclass(frozen=True)
class PluginInfo:
    """What ``plantao plugins`` and ``GET /api/v1/plugins`` show of a declaration."""

    kind: str
    name: str
    title: dict
    description: dict
    params_schema: dict
    source: str
    module: str

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "params_schema": self.params_schema,
            "source": self.source,
            "module": self.module,
        }


@dataclass
class PluginRegistry:
    """Every installed declaration, by kind and name."""

    manager: pluggy.PluginManager
    by_kind: dict[str, dict[str, object]] = field(default_factory=dict)
    infos: list[PluginInfo] = field(default_factory=list)

    @property
    def policies(self) -> dict[str, object]:
        return self.by_kind["rotation_policy"]

    @property
    def rules(self) -> dict[str, object]:
        return self.by_kind["scheduling_rule"]

    @property
    def channels(self) -> dict[str, object]:
        return self.by_kind["notification_channel"]

    @property
    def export_formats(self) -> dict[str, object]:
        return self.by_kind["export_format"]


def build_plugin_manager(extra_plugins: Iterable[object] = (), *, entry_points: bool = True):
    """A plugin manager with every installed plugin (and ``extra_plugins``) registered."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    if entry_points:
        try:
            manager.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
        except Exception as error:
            # A plugin that cannot even be imported is the plugin author's
            # bug, reported as such rather than as Plantão's traceback.
            raise PluginError(
                f"cannot load a plugin of the {hookspecs.ENTRY_POINT_GROUP!r} entry-point group: "
                f"{type(error).__name__}: {error}"
            ) from error
    for plugin in extra_plugins:
        manager.register(plugin)
    return manager


def build_registry(manager: pluggy.PluginManager | None = None) -> PluginRegistry:
    """Collect every plugin's declarations; raise :class:`PluginError` on conflicts."""
    manager = manager or build_plugin_manager()
    sources = {id(plugin): dist.project_name for plugin, dist in manager.list_plugin_distinfo()}
    registry = PluginRegistry(manager=manager)
    errors: list[str] = []
    for kind, hook_name in KINDS.items():
        declarations: dict[str, object] = {}
        origin: dict[str, str] = {}
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            module = getattr(impl.plugin, "__name__", type(impl.plugin).__name__)
            source = sources.get(id(impl.plugin), "(registered directly)")
            for declaration in impl.function() or ():
                missing = [a for a in REQUIRED_ATTRIBUTES if not hasattr(declaration, a)]
                if missing:
                    errors.append(
                        f"plugin {module} declares a {kind} without {', '.join(missing)}"
                    )
                    continue
                name = declaration.name
                if name in declarations:
                    errors.append(
                        f"{kind} {name!r} is declared twice: by {origin[name]} and by {module}"
                    )
                    continue
                declarations[name] = declaration
                origin[name] = module
                registry.infos.append(
                    PluginInfo(
                        kind=kind,
                        name=name,
                        title=dict(declaration.title),
                        description=dict(declaration.description),
                        params_schema=dict(declaration.params_schema),
                        source=source,
                        module=module,
                    )
                )
        registry.by_kind[kind] = declarations
    if errors:
        raise PluginError("; ".join(errors))
    registry.infos.sort(key=lambda info: (info.kind, info.name))
    return registry
