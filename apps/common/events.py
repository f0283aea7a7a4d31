"""Domain events: how one app tells the others that something happened, without importing them.

A service publishes a typed event inside its writing transaction::

    events.publish(events.VendorsChanged(vendor_ids=frozenset({vendor.pk})))

and the apps above it subscribe in their ``AppConfig.ready()``::

    events.subscribe(events.VendorsChanged, on_vendors_changed)                       # after commit
    events.subscribe(events.EquipmentChanged, on_equipment_changed, phase=events.IN_TRANSACTION)

One delivery policy for the whole registry:

- ``ON_COMMIT`` (the default): the handler runs once the publishing transaction has committed (at once when
  there is none); it never runs for a write that rolled back. Each handler is isolated: an exception is logged
  with the event and the handler, the other handlers still run, and the committed write stands. Handlers that
  do real work only enqueue a Celery task by its registered name (``apps.security.enqueue.enqueue_on_commit``):
  the task retries with back-off, and a broker outage keeps it in the outbox. That is the one retry policy.
- ``IN_TRANSACTION``: the handler runs at once, inside the publisher's transaction, and an exception rolls the
  write back. Only for derived state that must commit with the write (a unit's risk status).

Fail closed: subscribing something that is not an event type or not callable raises at start-up, and the
system check ``events.E001`` stops start-up while a required event has no subscriber (a renamed or deleted
``subscribe`` line would otherwise silently stop, say, re-screening). The catalogue is in
docs/architecture.md.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction

logger = logging.getLogger("vendorrisk.events")

ON_COMMIT = "on_commit"
IN_TRANSACTION = "in_transaction"
PHASES = (ON_COMMIT, IN_TRANSACTION)

Handler = Callable[[Any], None]


@dataclass(frozen=True)
class Event:
    """Base of every domain event: frozen, ids only (a handler reads what it needs, after the commit)."""

    # A required event must have at least one subscriber once the apps are loaded (system check events.E001).
    required: ClassVar[bool] = True


@dataclass(frozen=True)
class VendorsChanged(Event):
    """Names, aliases, identifiers, ownership or OEM links of these vendors were written (apps.vendors)."""

    vendor_ids: frozenset[int]


@dataclass(frozen=True)
class EquipmentChanged(Event):
    """These units were recorded, or their product model, category, components, status, site, installation date
    or connectivity changed, one at a time (apps.inventory services; bulk imports publish EquipmentImported
    instead)."""

    equipment_ids: frozenset[int]


@dataclass(frozen=True)
class SitesChanged(Event):
    """These sites were created or edited, or their per-site equipment tally (SiteEquipmentCount) changed: units
    added, moved, retired, or given another risk status (apps.inventory). What the pages compute from sites and
    tallies (the site list, the dashboard's breakdown, the sites filter) is computed again."""

    site_ids: frozenset[int]


@dataclass(frozen=True)
class EquipmentImported(Event):
    """An import committed these units (and product models of these vendors) in bulk
    (apps.inventory.import_jobs)."""

    vendor_ids: frozenset[int]
    equipment_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ListVersionActivated(Event):
    """A list version became the active one of its source (apps.lists)."""

    version_id: int


@dataclass(frozen=True)
class ScreeningChanged(Event):
    """Findings or the risk status of these vendors changed (apps.screening)."""

    vendor_ids: frozenset[int]


@dataclass(frozen=True)
class ProposalAccepted(Event):
    """A curator accepted a change proposal to a shared vendor fact (apps.vendors.proposals). Published inside
    the accepting transaction *before* the fact is written, so an in-transaction subscriber reads the statuses
    as they were (remediation's notices keep "before"); on commit the change has been written. `vendor_ids`:
    the vendors whose findings may change (the vendor the fact is about and what it owns or brands)."""

    proposal_id: int
    vendor_ids: frozenset[int]


@dataclass(frozen=True)
class OwnViewChanged(Event):
    """An organisation's overlay changed: a pending proposal applied to its own view was submitted, withdrawn,
    rejected, or applied or no longer applied (apps.vendors.proposals). Only that organisation's view moves;
    `vendor_ids`: the vendor the fact is about (screening adds the rest of the view's candidates). Acceptance
    publishes ProposalAccepted and VendorsChanged instead (the public re-screen settles every view)."""

    organization_id: int
    vendor_ids: frozenset[int]


@dataclass(frozen=True)
class RegistryActivity(Event):
    """Something an organisation may want pushed to its own systems (webhooks, apps.integrations), published
    by the one service that does it: a plan created or closed, a waiver requested or decided, a list version
    activated... `type` is a name of apps.integrations.choices.EventType (plain string: common imports no
    app). `organization_id` None: shared data (a public list), for every organisation's subscribers. The
    optional attributes feed the endpoints' filters."""

    required: ClassVar[bool] = False  # no subscriber: nothing is pushed, which is a valid configuration
    type: str
    organization_id: int | None
    object_kind: str  # "plan", "waiver", "list_version", "equipment", "finding"
    object_id: int | None = None
    # A set-valued event (one per organisation per refresh: the units whose status changed...): the ids, in
    # place of object_id; the payload lists them, WEBHOOK_BATCH_MAX_IDS per delivery.
    object_ids: tuple[int, ...] = ()
    # For a set-valued event, optionally each id's (site_id, category, status), in the order of object_ids: the
    # endpoints' filters then narrow the ids one by one (a unit at another site is left out of that endpoint's
    # delivery) and the payload carries them per object.
    object_facets: tuple[tuple[int | None, str, str], ...] = ()
    site_id: int | None = None
    category: str = ""
    status: str = ""
    previous_status: str = ""

    def __post_init__(self) -> None:
        if self.object_facets and len(self.object_facets) != len(self.object_ids):
            raise ValueError("object_facets must give one (site_id, category, status) per id of object_ids")


@dataclass(frozen=True)
class RegistryActivities(Event):
    """Several RegistryActivity at once, from one service run (a rule evaluation opening plans for many units):
    the webhooks read each organisation's endpoints once for the whole batch."""

    required: ClassVar[bool] = False
    items: tuple[RegistryActivity, ...]


def publish_activities(items: list[RegistryActivity]) -> None:
    """Publish `items` as one RegistryActivities (nothing when empty)."""
    if items:
        publish(RegistryActivities(items=tuple(items)))


_subscribers: dict[type[Event], dict[str, list[Handler]]] = defaultdict(lambda: {p: [] for p in PHASES})


def subscribe(event_type: type[Event], handler: Handler, *, phase: str = ON_COMMIT) -> None:
    """Call `handler(event)` for every published `event_type` (once per handler, whatever the calls)."""
    if not (isinstance(event_type, type) and issubclass(event_type, Event)) or event_type is Event:
        raise TypeError(f"{event_type!r} is not an event type of apps.common.events")
    if not callable(handler):
        raise TypeError(f"{handler!r} is not callable")
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; use ON_COMMIT or IN_TRANSACTION")
    handlers = _subscribers[event_type][phase]
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(event_type: type[Event], handler: Handler) -> None:
    for handlers in _subscribers[event_type].values():
        if handler in handlers:
            handlers.remove(handler)


def subscribers(event_type: type[Event], phase: str | None = None) -> list[Handler]:
    phases = PHASES if phase is None else (phase,)
    return [h for p in phases for h in _subscribers[event_type][p]] if event_type in _subscribers else []


@contextmanager
def subscribed(event_type: type[Event], handler: Handler, *, phase: str = ON_COMMIT) -> Iterator[Handler]:
    """A subscription for the length of a `with` block (tests, one-off listeners)."""
    subscribe(event_type, handler, phase=phase)
    try:
        yield handler
    finally:
        unsubscribe(event_type, handler)


def publish(event: Event) -> None:
    """Deliver `event`: IN_TRANSACTION handlers now (their errors propagate), ON_COMMIT handlers after the
    current transaction commits, each isolated."""
    if not isinstance(event, Event):
        raise TypeError(f"{event!r} is not an event")
    if type(event) not in _subscribers:
        return
    phases = _subscribers[type(event)]
    for handler in list(phases[IN_TRANSACTION]):
        handler(event)
    handlers = list(phases[ON_COMMIT])
    if handlers:
        transaction.on_commit(lambda: _deliver(event, handlers))


def _deliver(event: Event, handlers: list[Handler]) -> None:
    for handler in handlers:
        try:
            handler(event)
        except Exception:  # isolation: the write is committed; the task behind a handler has its own retries
            logger.exception("event handler %s failed for %r", getattr(handler, "__qualname__", handler), event)


def event_types() -> list[type[Event]]:
    """Every event type defined here (and in subclasses elsewhere), for the start-up check."""
    found: list[type[Event]] = []
    stack = list(Event.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found
