"""The hooks a Plantão plugin can implement.

Every extension point of Plantão is one of the hooks below.  A plugin is a
module (or class) with functions decorated by :data:`hookimpl`, registered
through the ``plantao`` entry-point group of its distribution::

    [options.entry_points]
    plantao =
        my_policy = my_package.my_module

Each ``register_*`` hook returns a list of *declarations*.  Plantão collects
them into registries keyed by the declaration's ``name``; two plugins
declaring the same name stop start-up with a message naming both, unless a
third-party declaration replaces a built-in (``replaces_builtin = True``).
Plugin authors import everything, this module's :data:`hookimpl` included,
from :mod:`plantao.plugin_api`.  Built-in
plugins (the ``plantao_plugins`` package) use exactly the same hooks and
entry-point group, so anything a built-in does, a third-party plugin can do.

``docs/plugins.md`` has one section per hook with its exact signature and an
example; ``tests/unit/test_hookspecs.py`` fails when a hook lacks either.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "plantao"
ENTRY_POINT_GROUP = "plantao"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_rotation_policies():
    """Return a list of :class:`plantao.plugin_api.RotationPolicy`.

    A rotation policy turns a rotation (its start, members and parameters)
    into the time slots to be filled and the member queue each slot draws
    from: ``daily``, ``weekly``, ``custom`` and ``split`` are built in.
    """


@hookspec
def register_scheduling_rules():
    """Return a list of :class:`plantao.plugin_api.SchedulingRule`.

    A scheduling rule decides whether a member may take a slot (minimum rest,
    maximum consecutive shifts, leave) or ranks the eligible members (holidays
    spread fairly).  Rules marked ``always_on`` apply to every rotation; the
    others are chosen per rotation in its ``rules`` field.
    """


@hookspec
def register_notification_channels():
    """Return a list of :class:`plantao.plugin_api.NotificationChannel`.

    A channel delivers a rendered notification (shift reminder, handoff,
    roster change, coverage gap, weekly digest) to a person or a team:
    ``email``, ``webhook``, ``telegram`` and ``slack`` are built in.
    """


@hookspec
def register_export_formats():
    """Return a list of :class:`plantao.plugin_api.ExportFormat`.

    An export format renders a list of shifts into a downloadable body served
    at ``/api/v1/teams/{slug}/export.{format}``: ``ics``, ``csv`` and ``json``
    are built in.
    """
