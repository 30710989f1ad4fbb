"""System handlers: event types the bundle itself acts on at dispatch, beside the
users' own triggers (for example one ``goals.generation_requested`` event per user,
which the goal engine answers). A handler takes the decoded envelope and must be
idempotent per event id.

Dispatch listeners hear of dispatched events, whatever their type (workflow runs
waiting for an event are resumed by one). Each gives the query that tells, inside the
dispatch's claim transaction (read together with the claim), whether it expects to act
on the event: only then does the dispatch keep its lease until the listeners heard it,
so a crash in between is finished by the per-minute job; an event no listener expects
is settled in the claim's one commit. Capabilities register both here, so dispatch
reaches them without importing them; the composition root (``shared.wiring.wire``)
imports the modules that register, on the first lookup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Envelope = dict[str, Any]

system_handlers: dict[str, Callable[[Envelope], None]] = {}


def system_handler(
    event_type: str,
) -> Callable[[Callable[[Envelope], None]], Callable[[Envelope], None]]:
    def register(fn: Callable[[Envelope], None]) -> Callable[[Envelope], None]:
        system_handlers[event_type] = fn
        return fn

    return register


Hear = Callable[[Envelope], object]
# SQL and its parameters, answering one row whose first column says yes or no
Query = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class DispatchListener:
    hear: Hear
    expects: Callable[[Envelope], Query]  # read in the claim's transaction


dispatch_listeners: list[DispatchListener] = []


def dispatch_listener(*, expects: Callable[[Envelope], Query]) -> Callable[[Hear], Hear]:
    def register(fn: Hear) -> Hear:
        listener = DispatchListener(fn, expects)
        if listener not in dispatch_listeners:
            dispatch_listeners.append(listener)
        return fn

    return register


def _load() -> None:
    from shared import wiring

    wiring.wire()  # once per process: every registering module is loaded


def handler_for(event_type: str) -> Callable[[Envelope], None] | None:
    _load()
    return system_handlers.get(event_type)


def notify_listeners(envelope: Envelope) -> None:
    """Tell every dispatch listener of an event that was dispatched; a listener must
    be idempotent per event id, as a handler is."""
    _load()
    for listener in dispatch_listeners:
        listener.hear(envelope)


def expectations(envelope: Envelope) -> list[Query]:
    """The queries telling whether each dispatch listener may act on the event."""
    _load()
    return [listener.expects(envelope) for listener in dispatch_listeners]


def expected(answers: list[list[dict[str, Any]]]) -> bool:
    """Whether any listener expects the event, by the answers to ``expectations``."""
    return any(rows and next(iter(rows[0].values())) for rows in answers)


def check_publishable(event_type: str) -> str:
    """An event type a user (``POST /api/events``, an ``emit`` step) may publish: a
    well-formed name that is not one the bundle answers itself, so nobody can, for
    example, request goal generation for an arbitrary day or force consolidations."""
    from shared.errors import Invalid
    from shared.events.outbox import check_type

    check_type(event_type)
    if handler_for(event_type) is not None:
        raise Invalid(f"eventType {event_type!r} is reserved for the system")
    return event_type
