"""A swarm step whose members are handed off: each member is its own ``workflow-run``
delivery (the real Pub/Sub client against the in-process fake), the run sleeps while
they are out, and the delivery of the member that settles the swarm wakes the run,
which decides. Members are delivered one by one here, so the fake Gemini's scripted
replies reach the members in a known order."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared import bootstrap, clock
from shared.config import Settings
from shared.db import Database
from shared.swarm import members as members_store
from shared.swarm import queueing
from shared.swarm.members import Unit
from shared.workflows import engine
from tests.conftest import function_client
from tests.events.helpers import make_workflow
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_pubsub import FakePubSub
from tests.swarm.conftest import (
    REFUSED,
    Swarming,
    critique,
    decided_events,
    draft,
    handed_off,
    swarm,
    swarm_record,
)
from tests.workflows.test_handoff import run_messages

GRACE = 120


@pytest.fixture(scope="module")
def settings(db_url: str, fake_pubsub: FakePubSub, fake_gemini_server: FakeGemini) -> Settings:
    s = handed_off(db_url, fake_pubsub, fake_gemini_server, WORKFLOW_RUN_START_GRACE_SECONDS=GRACE)
    bootstrap.configure(s)
    return s


def test_members_are_handed_off_one_message_each_and_the_run_sleeps_showing_them(
    swarming: Swarming,
) -> None:
    run_id, members = swarming.launch(swarm())

    assert [json.loads(m.data) for m in members] == [
        {"runId": run_id, "userId": "alice", "stepId": "crowd", "member": str(i)} for i in range(3)
    ]
    run = swarming.run(run_id)
    assert run["status"] == "sleeping"
    record = swarm_record(run)
    assert record["status"] == "waiting"
    assert [(m["index"], m["status"]) for m in record["members"]] == [
        (0, "queued"),
        (1, "queued"),
        (2, "queued"),
    ]
    assert swarming.calls() == 0  # nothing ran in the run's delivery


def test_the_answer_to_a_run_request_shows_a_swarm_still_out_with_its_members(
    swarming: Swarming,
) -> None:
    wid = make_workflow(swarming.user, swarm())
    keyed = {"json": {"input": {"topic": "tea"}}, "headers": {"Idempotency-Key": "crowd-1"}}
    assert swarming.user.post(f"/api/workflow/{wid}/run", **keyed).status_code == 202
    swarming.deliver(*run_messages(swarming.bus))  # the run: its members are handed off

    again = swarming.user.post(f"/api/workflow/{wid}/run?wait=0", **keyed)

    assert again.status_code == 202
    members = swarm_record(again.get_json()["run"])["members"]
    assert [m["status"] for m in members] == ["queued"] * 3


def test_a_vote_takes_the_majority_answer_with_the_tally_and_one_model_call_per_member(
    db: Database, swarming: Swarming
) -> None:
    run_id, members = swarming.launch(swarm())
    for title in ("Alpha", "Beta", "Alpha"):
        swarming.model.script_json(draft(title))
    swarming.deliver(*members)

    run = swarming.run(run_id)
    assert run["status"] == "succeeded", run
    output = swarm_record(run)["output"]
    assert output["decision"] == "Alpha" and output["winner"] == 0
    assert [(t["answer"], t["votes"], t["members"]) for t in output["tally"]] == [
        ("Alpha", 2, [0, 2]),
        ("Beta", 1, [1]),
    ]
    assert output["tieBreak"] is None
    assert [m["vote"] for m in output["members"]] == ["Alpha", "Beta", "Alpha"]
    assert output["usage"]["members"]["calls"] == 3
    assert output["usage"]["judging"]["calls"] == 0
    assert swarming.calls() == 3
    [event] = decided_events(db, run_id)
    assert event["user_id"] == "alice"
    assert event["event_data"] | {"runId": run_id} == {
        "runId": run_id, "workflowId": run["workflow_id"], "stepId": "crowd",
        "strategy": "vote", "winner": 0, "decision": "Alpha", "quorum": 2, "succeeded": 3, "members": 3,
    }  # fmt: skip


def test_a_failing_member_does_not_fail_the_swarm_while_the_quorum_is_met(
    swarming: Swarming,
) -> None:
    run_id, members = swarming.launch(swarm(quorum=2))
    swarming.model.script_json(draft("Alpha"))
    swarming.model.script_reply(REFUSED, status=400)
    swarming.model.script_json(draft("Alpha"))
    swarming.deliver(*members)

    run = swarming.run(run_id)
    assert run["status"] == "succeeded", run
    output = swarm_record(run)["output"]
    assert [m["status"] for m in output["members"]] == ["succeeded", "failed", "succeeded"]
    assert output["members"][1]["error"]
    assert (output["decision"], output["succeeded"]) == ("Alpha", 2)


def test_a_swarm_that_misses_its_quorum_fails_the_step_and_shows_its_members(
    db: Database, swarming: Swarming
) -> None:
    run_id, members = swarming.launch(swarm(quorum=3))
    swarming.model.script_reply(REFUSED, status=400)
    swarming.deliver(members[0])  # one failure already makes 3 of 3 impossible

    run = swarming.run(run_id)
    assert run["status"] == "failed"
    assert run["error"] == "step 'crowd' failed: quorum not met: 0 of 3 members succeeded, 3 needed"
    record = swarm_record(run)
    assert [m["status"] for m in record["output"]["members"]] == [
        "failed",
        "timed_out",
        "timed_out",
    ]
    assert decided_events(db, run_id) == []
    swarming.deliver(members[1])  # a member the swarm gave up on runs nothing
    assert swarming.calls() == 1


def test_a_tie_goes_to_the_lowest_numbered_member_whatever_order_they_answered_in(
    swarming: Swarming,
) -> None:
    run_id, members = swarming.launch(swarm(count=2))
    swarming.model.script_json(draft("Beta"))
    swarming.deliver(members[1])
    swarming.model.script_json(draft("Alpha"))
    swarming.deliver(members[0])

    output = swarm_record(swarming.run(run_id))["output"]
    assert (output["decision"], output["winner"]) == ("Alpha", 0)
    assert output["tieBreak"] == {
        "answers": ["Alpha", "Beta"],
        "votes": 1,
        "rule": "the tied answer of the lowest-numbered member wins",
    }


def test_a_member_out_at_the_timeout_is_timed_out_and_the_swarm_decides_without_it(
    swarming: Swarming,
    fixed_clock: clock.FixedClock,
) -> None:
    run_id, members = swarming.launch(swarm(timeoutSeconds=60))
    for message, title in zip(members[:2], ("Alpha", "Alpha"), strict=True):
        swarming.model.script_json(draft(title))
        swarming.deliver(message)
    assert swarming.run(run_id)["status"] == "sleeping"

    fixed_clock.advance(timedelta(seconds=61))
    assert engine.wake_due() == 1
    [woken] = run_messages(swarming.bus)  # the run is handed off to decide
    assert woken.attributes == {"runId": run_id, "userId": "alice"}
    swarming.deliver(woken)

    run = swarming.run(run_id)
    assert run["status"] == "succeeded", run
    output = swarm_record(run)["output"]
    assert [m["status"] for m in output["members"]] == ["succeeded", "succeeded", "timed_out"]
    assert output["decision"] == "Alpha"
    swarming.deliver(members[2])  # its late delivery runs nothing
    assert swarming.calls() == 2


def test_best_takes_the_member_the_critic_scores_highest_over_the_majority(
    swarming: Swarming,
) -> None:
    run_id, members = swarming.launch(swarm(decide="best"))
    for title in ("Alpha", "Alpha", "Beta"):
        swarming.model.script_json(draft(title))
    swarming.model.script_json(critique(0.4), when="Alpha", times=2)
    swarming.model.script_json(critique(0.9), when="Beta")
    swarming.deliver(*members)

    output = swarm_record(swarming.run(run_id))["output"]
    assert output["winner"] == 2
    assert output["decision"]["title"] == "Beta"
    assert [m["score"] for m in output["members"]] == [0.4, 0.4, 0.9]
    assert swarming.calls() == 3 + 3
    assert output["usage"]["judging"]["calls"] == 3


def test_a_decision_too_large_for_an_event_is_announced_without_it(
    db: Database, swarming: Swarming
) -> None:
    run_id, members = swarming.launch(swarm(count=1, quorum=1, decide="best"))
    swarming.model.script_json(draft("Long") | {"content": "word " * 1000})
    swarming.model.script_json(critique(0.8), when="Long")
    swarming.deliver(*members)

    [event] = decided_events(db, run_id)
    assert event["event_data"]["decision"] is None
    assert event["event_data"]["decisionOmitted"] is True
    output = swarm_record(swarming.run(run_id))["output"]
    assert output["decision"]["content"] == "word " * 1000


@pytest.mark.parametrize(("merge_score", "kept"), [(0.95, True), (0.5, False)])
def test_a_merge_is_kept_only_when_the_critic_scores_it_above_the_best_member(
    swarming: Swarming,
    merge_score: float,
    kept: bool,
) -> None:
    run_id, members = swarming.launch(swarm(decide="merge"))
    for title in ("Alpha", "Beta", "Gamma"):
        swarming.model.script_json(draft(title))
    for title, score in (("Alpha", 0.5), ("Beta", 0.8), ("Gamma", 0.6)):
        swarming.model.script_json(critique(score), when=title)
    merged = {"id": "m", "title": "Merged", "content": "The best of all.", "format": "post"}
    swarming.model.script_json(merged | {"notes": ["merged"]}, when="Combine the outputs")
    swarming.model.script_json(critique(merge_score), when="Merged")
    swarming.deliver(*members)

    output = swarm_record(swarming.run(run_id))["output"]
    assert output["merge"]["score"] == merge_score and output["merge"]["kept"] is kept
    assert output["merge"]["output"]["title"] == "Merged"
    if kept:
        assert (output["winner"], output["decision"]["title"]) == ("merge", "Merged")
    else:
        assert (output["winner"], output["decision"]["title"]) == (1, "Beta")
    assert swarming.calls() == 3 + 3 + 1 + 1


def test_a_retried_swarm_gives_its_failed_members_another_go(swarming: Swarming) -> None:
    run_id, members = swarming.launch(swarm(quorum=3))
    swarming.model.script_reply(REFUSED, status=400)
    swarming.deliver(members[0])
    assert swarming.run(run_id)["status"] == "failed"

    retried = swarming.user.post(f"/api/workflow/run/{run_id}/retry")
    assert retried.status_code == 202, retried.get_json()  # handed off, not executed here
    assert retried.get_json()["run"]["status"] == "running"
    [handed] = run_messages(swarming.bus)
    swarming.deliver(handed)  # the run's delivery hands the failed members off again
    assert swarming.run(run_id)["status"] == "sleeping"
    swarming.model.script_json(draft("Alpha"), times=3)
    swarming.deliver(*sorted(run_messages(swarming.bus), key=lambda m: m.attributes["member"]))

    run = swarming.run(run_id)
    assert run["status"] == "succeeded", run
    output = swarm_record(run)["output"]
    assert [m["attempts"] for m in output["members"]] == [2, 1, 1]
    assert output["succeeded"] == 3


def test_the_members_of_a_cancelled_swarm_run_nothing(swarming: Swarming) -> None:
    run_id, members = swarming.launch(swarm())
    assert swarming.user.post(f"/api/workflow/run/{run_id}/cancel").status_code == 200

    swarming.deliver(*members)

    assert swarming.calls() == 0
    assert queueing.requeue_members() == 0


def test_a_member_whose_executor_died_is_handed_off_again_by_the_per_minute_job(
    swarming: Swarming,
) -> None:
    run_id, _ = swarming.launch(swarm(count=1, quorum=1))
    unit = Unit(run_id, "alice", "crowd", 0)
    assert members_store.claim(unit, "a-process-that-died", 0) is not None  # lease gone

    assert queueing.requeue_members() == 1
    [again] = run_messages(swarming.bus)
    swarming.model.script_json(draft("Alpha"))
    swarming.deliver(again)

    assert swarming.run(run_id)["status"] == "succeeded"
    assert swarming.calls() == 1


def of_run(swarming: Swarming, run_id: str) -> list[str]:
    """The members of the run handed off since the last look, by index."""
    return [
        m.attributes["member"]
        for m in run_messages(swarming.bus)
        if json.loads(m.data)["runId"] == run_id
    ]


def test_a_member_whose_hand_off_was_lost_is_handed_off_again_by_the_per_minute_job(
    swarming: Swarming, fixed_clock: clock.FixedClock
) -> None:
    run_id, members = swarming.launch(swarm(quorum=3), lose=1)
    assert [m.attributes["member"] for m in members] == ["1", "2"]  # member 0's was lost
    swarming.model.script_json(draft("Alpha"), times=3)
    swarming.deliver(*members)
    assert swarming.run(run_id)["status"] == "sleeping"
    minute = function_client("schedule_fire")

    fixed_clock.advance(timedelta(seconds=GRACE - 1))
    minute.post("/", json={"tick": True})
    assert of_run(swarming, run_id) == []
    fixed_clock.advance(timedelta(seconds=2))
    assert minute.post("/", json={"tick": True}).get_json()["swarmMembersRequeued"] >= 1
    [again] = [m for m in run_messages(swarming.bus) if json.loads(m.data)["runId"] == run_id]
    assert again.attributes["member"] == "0"
    swarming.deliver(again)

    run = swarming.run(run_id)
    assert run["status"] == "succeeded", run
    assert swarm_record(run)["output"]["succeeded"] == 3
    assert swarming.calls() == 3


def test_a_member_handed_off_again_is_not_handed_off_again_before_a_new_grace(
    swarming: Swarming, fixed_clock: clock.FixedClock
) -> None:
    run_id, _ = swarming.launch(swarm(count=1, quorum=1), lose=1)
    fixed_clock.advance(timedelta(seconds=GRACE + 1))
    queueing.requeue_members()
    assert of_run(swarming, run_id) == ["0"]  # and lost again

    fixed_clock.advance(timedelta(seconds=GRACE - 1))
    queueing.requeue_members()
    assert of_run(swarming, run_id) == []
    fixed_clock.advance(timedelta(seconds=2))
    queueing.requeue_members()
    assert of_run(swarming, run_id) == ["0"]
