"""Revenue to action, end to end: a signed invoice.paid posted to treasury-webhook
crosses the user's threshold, revenue.threshold_reached is recorded once, and its
delivery through event-dispatch runs that user's triggered workflow exactly once;
another user's identical trigger never runs."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from tests.conftest import UserClient, function_client
from tests.events.helpers import make_trigger, make_workflow, runs_of, triggered_count
from tests.support.dispatch import deliver_row, recorded
from tests.treasury.stripe_payloads import deliver, invoice_paid

REACHED = "revenue.threshold_reached"
STEPS = [
    {"id": "gate", "type": "condition",
     "config": {"subject": "{{trigger.payload}}", "conditions": {"currency": "usd"}}},
    {"id": "thanks", "type": "agent", "agentId": "scribe_01", "action": "generate",
     "config": {"topic": "Thank you for {{trigger.payload.net_revenue_minor}} cents"}},
]  # fmt: skip


@pytest.fixture(scope="module")
def dispatch(settings: Any) -> Any:
    return function_client("event_dispatch")


def setup_user(api: Any, name: str) -> tuple[UserClient, str, str]:
    user = UserClient(api, name)
    workflow = make_workflow(user, STEPS)
    trigger = make_trigger(user, REACHED, workflow)
    res = user.post(
        "/api/treasury/thresholds", json={"amount": 100_000, "currency": "usd", "periodDays": 30}
    )
    assert res.status_code == 201, res.get_json()
    return user, workflow, trigger


def test_a_paid_invoice_over_the_threshold_runs_that_users_workflow_once(
    api: Any, webhook: Any, dispatch: Any, db: Database
) -> None:
    owner, owner_workflow, owner_trigger = setup_user(api, "rev-owner")
    _, other_workflow, other_trigger = setup_user(api, "rev-other")
    paid = deliver(webhook, invoice_paid(120_000, user=owner.user))
    assert paid.status_code == 200, paid.get_json()
    deliver(webhook, invoice_paid(5_000, user=owner.user))  # still above: no second crossing
    [reached] = recorded(db, REACHED)
    assert reached["user_id"] == owner.user
    assert reached["event_data"]["net_revenue_minor"] == 120_000

    for row in [*recorded(db, "revenue.received", owner.user), reached]:
        deliver_row(dispatch, row)
    deliver_row(dispatch, reached)  # Pub/Sub redelivers

    [run] = runs_of(db, owner_workflow)
    assert run["trigger_type"] == "event" and run["status"] == "succeeded"
    assert run["trigger_data"]["eventId"] == str(reached["id"])
    steps = run["step_results"]
    assert [s["status"] for s in steps] == ["succeeded", "succeeded"]
    assert "120000" in steps[1]["input"]["payload"]["topic"]
    assert triggered_count(db, owner_trigger) == 1
    assert runs_of(db, other_workflow) == [] and triggered_count(db, other_trigger) == 0
