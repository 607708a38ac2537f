"""The plugin manager and the registries built from it.

Plugins are found through the ``plantao`` entry-point group, built-in ones
included.  Each ``register_*`` hook returns declarations; they are collected
here into one registry per kind, keyed by name.  A declaration that is not
an instance of its kind's base in :mod:`plantao.plugin_api`, or two
declarations of the same name, stop start-up with a message naming the
plugins and distributions involved; a third-party declaration whose
``replaces_builtin`` is true takes the place of the built-in of its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pluggy

from . import hookspecs
from .plugin_api import ExportFormat, NotificationChannel, RotationPolicy, SchedulingRule, Variable

#: kind -> the hook that registers it.
KINDS = {
    "rotation_policy": "register_rotation_policies",
    "scheduling_rule": "register_scheduling_rules",
    "notification_channel": "register_notification_channels",
    "export_format": "register_export_formats",
}

#: kind -> the base class every declaration of that kind is an instance of.
KIND_BASES = {
    "rotation_policy": RotationPolicy,
    "scheduling_rule": SchedulingRule,
    "notification_channel": NotificationChannel,
    "export_format": ExportFormat,
}

REQUIRED_ATTRIBUTES = ("name", "title", "description", "params_schema")

#: kind -> the method of its base a declaration must implement (rules have
#: working defaults for both of theirs).
REQUIRED_METHODS = {
    "rotation_policy": "slots",
    "notification_channel": "send",
    "export_format": "render",
}

#: The distribution of the built-in plugins (``plantao_plugins``).
BUILTIN_DISTRIBUTION = "plantao"


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


def declared_variables(manager: pluggy.PluginManager | None = None) -> list[Variable]:
    """Every environment variable the installed plugins' declarations read, first declaration first.

    Read by the configuration door before the registry is built, so it
    checks nothing else: a broken plugin is reported by :func:`build_registry`.
    """
    manager = manager or build_plugin_manager()
    found: dict[str, Variable] = {}
    for hook_name in KINDS.values():
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            for declaration in impl.function() or ():
                for variable in getattr(declaration, "variables", ()) or ():
                    if isinstance(variable, Variable):
                        found.setdefault(variable.name, variable)
    return list(found.values())


def build_registry(manager: pluggy.PluginManager | None = None) -> PluginRegistry:
    """Collect every plugin's declarations; raise :class:`PluginError` on conflicts."""
    manager = manager or build_plugin_manager()
    sources = {id(plugin): dist.project_name for plugin, dist in manager.list_plugin_distinfo()}
    registry = PluginRegistry(manager=manager)
    errors: list[str] = []
    for kind, hook_name in KINDS.items():
        base = KIND_BASES[kind]
        declarations: dict[str, object] = {}
        origin: dict[str, tuple[str, str]] = {}
        infos: dict[str, PluginInfo] = {}
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            module = getattr(impl.plugin, "__name__", type(impl.plugin).__name__)
            source = sources.get(id(impl.plugin), "(registered directly)")
            where = f"plugin {module} (distribution {source})"
            for declaration in impl.function() or ():
                missing = [a for a in REQUIRED_ATTRIBUTES if not hasattr(declaration, a)]
                if missing:
                    errors.append(f"{where} declares a {kind} without {', '.join(missing)}")
                    continue
                name = declaration.name
                if not isinstance(declaration, base):
                    # Checked here rather than when first used, so that a
                    # channel without ``send`` never gets to a delivery.
                    errors.append(
                        f"{where} declares {kind} {name!r} as a {type(declaration).__name__}, "
                        f"which is not a plantao.plugin_api.{base.__name__}"
                    )
                    continue
                method = REQUIRED_METHODS.get(kind)
                if method and getattr(type(declaration), method) is getattr(base, method):
                    errors.append(f"{where} declares {kind} {name!r} without implementing {method}()")
                    continue
                if name in declarations:
                    replaced = _replaced(origin[name], source, declarations[name], declaration)
                    if replaced is None:
                        errors.append(
                            f"{kind} {name!r} is declared twice: by {origin[name][0]} and by {module}"
                            f" (distributions {origin[name][1]} and {source}; a third-party plugin "
                            f"replaces a built-in only when its declaration sets replaces_builtin = True)"
                        )
                        continue
                    if replaced is declaration:
                        continue  # the built-in came second: the replacement stays
                declarations[name] = declaration
                origin[name] = (module, source)
                infos[name] = PluginInfo(
                    kind=kind,
                    name=name,
                    title=dict(declaration.title),
                    description=dict(declaration.description),
                    params_schema=dict(declaration.params_schema),
                    source=source,
                    module=module,
                )
        registry.by_kind[kind] = declarations
        registry.infos.extend(infos.values())
    if errors:
        raise PluginError("; ".join(errors))
    registry.infos.sort(key=lambda info: (info.kind, info.name))
    return registry


def _replaced(first: tuple[str, str], second_source: str, existing: object, incoming: object) -> object | None:
    """Of two declarations of one name, the one that is replaced, or None for a clash.

    Only a built-in is ever replaced, and only by a declaration asking to.
    """
    first_source = first[1]
    if first_source == BUILTIN_DISTRIBUTION and second_source != BUILTIN_DISTRIBUTION:
        return existing if getattr(incoming, "replaces_builtin", False) else None
    if second_source == BUILTIN_DISTRIBUTION and first_source != BUILTIN_DISTRIBUTION:
        return incoming if getattr(existing, "replaces_builtin", False) else None
    return None
