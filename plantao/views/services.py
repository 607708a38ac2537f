"""The one door from the views to the services: ``request.find_service(TeamService)``.

``pyramid_services`` keeps a factory per service class; each builds its
service from the request's :class:`ServiceContext` (the request's session,
the settings, the plugins, and the credential and address that the audit
log names), at most once per request.  Views never build a service, a
context or a query themselves, and services never see the request: this
module is the only place that reads the request on their behalf.

The one exception is a person acting through their own secret link:
:meth:`NotificationService.through_own_link` makes a copy of the found
service whose actor is that person.
"""

from __future__ import annotations

from ..services.audit import Actor, AuditService
from ..services.contacts import ReaderContacts, reader_contacts
from ..services.context import ServiceContext
from ..services.fairness import FairnessService
from ..services.feeds import FeedTokenService
from ..services.gaps import GapService
from ..services.health import DatabaseHealth
from ..services.month import CalendarService
from ..services.notification_settings import NotificationService
from ..services.oncall import OnCallService
from ..services.overrides import OverrideService
from ..services.payroll import PayrollService
from ..services.people import PersonService
from ..services.requests import RequestService
from ..services.rotations import RotationService
from ..services.teams import TeamService
from ..services.timeline import TimelineService
from ..services.tokens import TokenService
from ..shared import register_shared, shared  # noqa: F401  (shared: the views' way to the process-wide objects)

#: Every service a view may find; each is built from a :class:`ServiceContext` alone.
SERVICES = (
    AuditService,
    CalendarService,
    FairnessService,
    FeedTokenService,
    GapService,
    NotificationService,
    OnCallService,
    OverrideService,
    PayrollService,
    PersonService,
    RequestService,
    RotationService,
    TeamService,
    TimelineService,
    TokenService,
)


def service_context(request) -> ServiceContext:
    """What the services of this request work with; the actor is the request's credential.

    The session is opened when a service first needs it: the reads the
    roster in memory answers never do.
    """
    identity = request.plantao_identity or {}
    actor = Actor(credential=identity.get("credential", "anonymous"), client_addr=request.client_addr)
    return ServiceContext(
        lambda: request.dbsession, request.plantao_settings, request.plugins, actor,
        roster=request.registry.read_model,
    )


def contacts(request) -> ReaderContacts:
    """What this reader may see of people's contacts: the one rule of services/contacts.py.

    Who is on call (which the rule may need) is read from the roster in
    memory, so the reads that run without a transaction can ask too.
    """
    return reader_contacts(request.plantao_identity is not None, request.plantao_settings, request.registry.read_model)


class _Factory:
    """Builds ``service`` from the request's context (pyramid_services calls it with ``(context, request)``)."""

    def __init__(self, service: type):
        self.service = service
        self.__name__ = service.__name__

    def __call__(self, context, request):
        return self.service(service_context(request))


def includeme(config) -> None:
    """Register a factory for every service in :data:`SERVICES`, and the process-wide ones.

    The caches (``plantao.caches``) and the login throttle (``plantao.security``)
    register themselves as single instances; so does the database probe here.
    """
    config.include("pyramid_services")
    for service in SERVICES:
        config.register_service_factory(_Factory(service), service)
    register_shared(config, DatabaseHealth(config.registry["dbengine"]), DatabaseHealth)
