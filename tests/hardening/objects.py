"""One object of every kind a user owns, made through the API, and the path parameters
of each route filled from them. The tenancy probes and the fuzzer both use this, so a
route whose path names an object is exercised with a real id, not only with noise."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from shared.web.app import api_app
from shared.web.router import Route
from tests.conftest import UserClient

PARAM = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_]+)>")
MARKER = "zq-owned-by-alice"  # text only alice's objects carry, to spot leaks in bodies
AGENT = "scribe_01"


@dataclass
class Objects:
    user: str
    workflow: str
    run: str
    webhook: str
    endpoint_key: str
    trigger: str
    goal: str
    improvement: str
    experiment: str
    threshold: str
    memory: str
    task: str
    evolution: str
    agent: str = AGENT

    def ids(self) -> list[str]:
        return [
            self.workflow,
            self.run,
            self.webhook,
            self.trigger,
            self.goal,
            self.improvement,
            self.experiment,
            self.threshold,
            self.memory,
            self.task,
            self.evolution,
        ]


def _ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, (res.status_code, res.get_json())
    return res.get_json()


def seed(user: UserClient) -> Objects:
    """Make one of each object as ``user``, every text carrying ``MARKER``."""
    steps = [{"id": "gate", "type": "condition", "config": {"subject": {}, "conditions": {}}}]
    workflow = _ok(
        user.post("/api/workflow", json={"name": f"{MARKER} flow", "steps": steps}), 201
    )["workflow"]["id"]
    run = _ok(user.post(f"/api/workflow/{workflow}/run", json={"input": {"m": MARKER}}))["run"][
        "id"
    ]
    webhook = _ok(user.post(f"/api/workflow/{workflow}/webhook"), 201)["webhook"]
    trigger = _ok(
        user.post(
            "/api/events/triggers",
            json={"eventType": "post.tenancy", "workflowId": workflow, "name": MARKER},
        ),
        201,
    )["trigger"]["id"]
    goal = _ok(
        user.post("/api/reasoning/goal", json={"title": f"{MARKER} grow the newsletter"}), 201
    )["goal"]["id"]
    for rating, comment in ((1, "way too long and rambling"), (2, "far too verbose")):
        _ok(
            user.post(
                "/api/improve/feedback",
                json={"agentId": AGENT, "rating": rating, "comment": f"{comment} {MARKER}"},
            ),
            201,
        )
    proposals = _ok(user.get(f"/api/improve/analyze/{AGENT}"))["proposals"]
    assert proposals, "the analysis proposed nothing to probe with"
    experiment = _ok(
        user.post(
            "/api/improve/experiment",
            json={
                "agentId": AGENT,
                "name": MARKER,
                "variants": [{"name": "a"}, {"name": "b", "instruction": "be brief"}],
            },
        ),
        201,
    )["experiment"]["id"]
    threshold = _ok(
        user.post("/api/treasury/thresholds", json={"amount": 100000, "currency": "usd"}), 201
    )["threshold"]["id"]
    memory = _ok(
        user.post(
            "/api/memory/store",
            json={"type": "semantic", "content": f"{MARKER} publishes every Tuesday"},
        ),
        201,
    )["memory"]["id"]
    task = _ok(
        user.post(
            "/api/scheduler/tasks",
            json={"name": MARKER, "workflowId": workflow, "cronExpression": "0 9 * * 1"},
        ),
        201,
    )["task"]["id"]
    evolution = _ok(
        user.post(
            "/api/oracle/evolve",
            json={"agentId": AGENT, "output": f"{MARKER} BUY NOW!!! best deal ever"},
        )
    )["evolutionId"]
    return Objects(
        user=user.user,
        workflow=str(workflow),
        run=str(run),
        webhook=str(webhook["id"]),
        endpoint_key=str(webhook["endpointKey"]),
        trigger=str(trigger),
        goal=str(goal),
        improvement=str(proposals[0]["id"]),
        experiment=str(experiment),
        threshold=str(threshold),
        memory=str(memory),
        task=str(task),
        evolution=str(evolution),
    )


def path_values(objects: Objects) -> dict[str, dict[str, str]]:
    """Route path (werkzeug syntax) -> its path parameters, filled from ``objects``."""
    o = objects
    return {
        "/api/workflow/<id>": {"id": o.workflow},
        "/api/workflow/<id>/run": {"id": o.workflow},
        "/api/workflow/<id>/webhook": {"id": o.workflow},
        "/api/workflow/<id>/webhook/<webhookId>": {"id": o.workflow, "webhookId": o.webhook},
        "/api/workflow/<id>/runs": {"id": o.workflow},
        "/api/workflow/run/<runId>": {"runId": o.run},
        "/api/workflow/run/<runId>/cancel": {"runId": o.run},
        "/api/workflow/run/<runId>/retry": {"runId": o.run},
        "/api/webhook/<endpointKey>": {"endpointKey": o.endpoint_key},
        "/api/events/triggers/<trigger_id>": {"trigger_id": o.trigger},
        "/api/reasoning/goal/<goalId>": {"goalId": o.goal},
        "/api/reasoning/goal/<goalId>/decompose": {"goalId": o.goal},
        "/api/improve/stats/<agentId>": {"agentId": o.agent},
        "/api/improve/analyze/<agentId>": {"agentId": o.agent},
        "/api/improve/improvements/<agentId>": {"agentId": o.agent},
        "/api/improve/improvements/<id>/accept": {"id": o.improvement},
        "/api/improve/improvements/<id>/reject": {"id": o.improvement},
        "/api/improve/experiment/<id>": {"id": o.experiment},
        "/api/improve/experiment/<id>/stop": {"id": o.experiment},
        "/api/treasury/thresholds/<threshold_id>": {"threshold_id": o.threshold},
        "/api/scheduler/<id>": {"id": o.task},
        "/api/scheduler/<id>/pause": {"id": o.task},
        "/api/scheduler/<id>/resume": {"id": o.task},
        "/api/scheduler/<id>/runs": {"id": o.task},
        "/api/scheduler/<id>/upcoming": {"id": o.task},
        "/api/scheduler/<id>/fire": {"id": o.task},
        "/api/evolver/settings/<agentId>": {"agentId": o.agent},
        "/api/evolver/history/<evolutionId>": {"evolutionId": o.evolution},
    }


def fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def params_of(path: str) -> list[str]:
    return PARAM.findall(path)


def body_routes() -> list[Route]:
    """The routes of the route table that declare a body."""
    return [r for r in api_app().routes if r.body is not None]


def any_url(route: Route) -> str:
    """The route's path with made-up ids (a real agent id) in its parameters."""
    values = {
        name: (AGENT if "agent" in name.lower() else str(uuid.uuid4()))
        for name in params_of(route.path)
    }
    return fill(route.path, values)


def label(route: Route) -> str:
    return f"{route.method} {route.path}"
