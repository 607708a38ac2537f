"""The process-wide objects, one per kind: the roster in memory, the caches, the login throttle, the database probe.

Each is registered with ``pyramid_services`` (so ``request.find_service(kind)``
finds it, like any service) and kept in one dictionary on the registry, so
the hottest views reach it with :func:`shared`, a dictionary lookup: the
per-request container ``pyramid_services`` builds before its first lookup
cost ``oncall`` and the feeds about a fifth of their time.  Views call
:func:`shared` through their service door (``plantao.views.services``).
"""

from __future__ import annotations


def register_shared(config, instance, kind: type) -> None:
    """Register the process-wide ``instance`` of ``kind``: found by :func:`shared` and by ``find_service``."""
    config.include("pyramid_services")
    config.register_service(instance, kind)
    keep(config.registry, instance, kind)


def keep(registry, instance, kind: type) -> None:
    """Make ``instance`` the process-wide ``kind`` for :func:`shared` only (built after the configuration)."""
    if not hasattr(registry, "plantao_shared"):
        registry.plantao_shared = {}
    registry.plantao_shared[kind] = instance


def shared(request, kind: type):
    """The process-wide ``kind`` of this request's application."""
    return request.registry.plantao_shared[kind]
