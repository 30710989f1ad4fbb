"""docs/operations/capacity.md: the capacity model, computed from the last benchmark run
(``bench/results/latest.json``) and the deployed sizes (``infra/functions.tf``,
``infra/variables.tf``). The prose is here beside the arithmetic it explains, so a new
run or a resized function changes the figures and the page together."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

from docsgen.readers import ROOT

RESULTS = ROOT / "bench" / "results" / "latest.json"
PAGE = ROOT / "docs" / "operations" / "capacity.md"
_HCL = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

# the load the table assumes, stated on the page
EVENTS_PER_USER_DAY = 20
FIRES_PER_USER_DAY = 5
PEAK_FACTOR = 3  # the busiest hour against the day's average
HEADROOM = 0.5  # plan to use half of a measured ceiling
COMMITS_PER_FIRE = 4  # claim the slot, insert the run, finish it, settle the fire
USERS = (1_000, 10_000, 100_000, 1_000_000)


def _hcl(name: str) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(
        (ROOT / "infra" / name).read_text(), serialization_options=_HCL
    )
    return parsed


def sizes() -> dict[str, dict[str, Any]]:
    for block in _hcl("functions.tf")["locals"]:
        if "functions" in block:
            return {k: f["size"] for k, f in block["functions"].items()}
    raise AssertionError("infra/functions.tf declares no functions")


def variable_default(name: str) -> Any:
    for block in _hcl("variables.tf")["variable"]:
        if name in block:
            return block[name]["default"]
    raise AssertionError(f"infra/variables.tf declares no {name}")


def _figure(run: dict[str, Any], bench: str, starts: str) -> float:
    for b in run["benchmarks"]:
        if b["name"] == bench:
            for f in b["figures"]:
                if f["name"].startswith(starts):
                    return float(f["value"])
    raise AssertionError(f"no {bench} figure {starts!r} in the last run")


@dataclass(frozen=True)
class Costs:
    dispatch_per_s: float  # events/s one process dispatched
    commits_per_s: float  # one connection's INSERT + COMMIT rate (the baseline)
    commits_per_event: float
    recall_p95_ms: float
    evolve_overhead_ms: float

    @classmethod
    def of(cls, run: dict[str, Any]) -> Costs:
        details = next(b for b in run["benchmarks"] if b["name"] == "event-dispatch")["details"]
        return cls(
            dispatch_per_s=_figure(run, "event-dispatch", "event-dispatch, "),
            commits_per_s=_figure(run, "event-dispatch", "raw INSERT+COMMIT"),
            commits_per_event=float(details["write_transactions_per_event"]["handler"]),
            recall_p95_ms=_figure(run, "memory-recall", "recall p95, all users"),
            evolve_overhead_ms=_figure(run, "evolve-overhead", "max iterations: time beyond"),
        )


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def render() -> str:
    run = json.loads(RESULTS.read_text())
    c = Costs.of(run)
    fs = sizes()
    max_conn = int(variable_default("db_max_connections"))
    tier = str(variable_default("db_tier"))
    budget = sum(int(s["max_instances"]) * int(s["concurrency"]) for s in fs.values())
    dispatch = fs["event_dispatch"]
    dispatch_ceiling = int(dispatch["max_instances"]) * c.dispatch_per_s
    commit_ceiling = c.commits_per_s * HEADROOM
    primary_events = commit_ceiling / c.commits_per_event
    primary_users = primary_events * 86_400 / (EVENTS_PER_USER_DAY * PEAK_FACTOR)
    size_rows = [
        "| function | max instances | concurrency (= `DB_POOL_SIZE`) | connections at most |",
        "| --- | --- | --- | --- |",
    ]
    for name, s in fs.items():
        size_rows.append(
            f"| `{name.replace('_', '-')}` | {s['max_instances']} | {s['concurrency']} | "
            f"{int(s['max_instances']) * int(s['concurrency'])} |"
        )
    size_rows.append(f"| **all** | | | **{budget}** of {max_conn} - 10 |")
    rows = [
        "| users | events/s at peak | fires/s at peak | event-dispatch instances | "
        "commits/s at peak | share of one primary's planned commits |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for users in USERS:
        events = users * EVENTS_PER_USER_DAY * PEAK_FACTOR / 86_400
        fires = users * FIRES_PER_USER_DAY * PEAK_FACTOR / 86_400
        instances = max(1, math.ceil(events / c.dispatch_per_s))
        commits = events * c.commits_per_event + fires * COMMITS_PER_FIRE
        share = commits / commit_ceiling
        rows.append(
            f"| {users:,} | {_n(events)} | {_n(fires)} | {instances} | {_n(commits)} | "
            f"{share:.0%}{' (past one primary)' if share > 1 else ''} |"
        )
    largest = max(USERS) * EVENTS_PER_USER_DAY * PEAK_FACTOR / 86_400
    return TEMPLATE.format(
        started=run.get("started_at", "?"),
        dispatch=_n(c.dispatch_per_s),
        per_event_ms=f"{1000 / c.dispatch_per_s:.1f}",
        commits=_n(c.commits_per_s),
        commits_per_event=f"{c.commits_per_event:g}",
        recall=f"{c.recall_p95_ms:.1f}",
        evolve=f"{c.evolve_overhead_ms:.1f}",
        sizes="\n".join(size_rows),
        budget=budget,
        max_conn=max_conn,
        tier=tier,
        dispatch_instances=dispatch["max_instances"],
        dispatch_ceiling=_n(dispatch_ceiling),
        headroom=f"{HEADROOM:.0%}",
        commit_ceiling=_n(commit_ceiling),
        primary_events=_n(primary_events),
        primary_users=f"{primary_users:,.0f}",
        events_day=EVENTS_PER_USER_DAY,
        fires_day=FIRES_PER_USER_DAY,
        peak=PEAK_FACTOR,
        commits_per_fire=COMMITS_PER_FIRE,
        table="\n".join(rows),
        largest_events=_n(largest),
        largest_kb=_n(largest),
    )


def rendered() -> dict[Path, str]:
    return {PAGE: render()}


TEMPLATE = """# Capacity

<!-- Generated by `python -m docsgen` from bench/results/latest.json and infra/. -->

How many instances, connections and how large a database a given number of users
needs, computed from what the last benchmark run measured ({started}) and from the
sizes `infra/` deploys. The benchmark machine is a shared 2-vCPU machine running the
functions and an embedded PostgreSQL side by side, so the costs below are pessimistic
for the functions and say nothing certain about a Cloud SQL primary: treat every
number as an estimate to check against the metrics of [Logs and
metrics](logs.md) once real traffic arrives.

## Measured costs

| cost | value | from |
| --- | --- | --- |
| one event dispatched (one trigger, one run) | {per_event_ms} ms, {dispatch} events/s from one process | `event-dispatch` |
| committed write transactions per dispatched event | {commits_per_event} | `event-dispatch` |
| one connection's commits (INSERT + COMMIT, a WAL flush each) | {commits}/s | `event-dispatch` baseline |
| memory recall, p95 over 100,000 memories (all users) | {recall} ms | `memory-recall` |
| the Evolver's own time per model call | {evolve} ms | `evolve-overhead` |

## Connections: instances x pool size

Each instance opens at most `DB_POOL_SIZE` connections, and the deployment sets that to
the function's concurrency, so a request never waits for a connection (it gets a 503
rather). The most the functions can hold at once is the sum of max instances x
concurrency, and `terraform plan` fails when it exceeds `db_max_connections` - 10 (the
10 are left for `segp migrate`, the grants and an operator's `psql`):

{sizes}

Raising a function's `max_instances` or `concurrency` (`function_overrides`) raises this
sum; past {max_conn} - 10, raise `db_max_connections` with the tier (a larger tier
has the memory for more connections), or put fewer connections per instance.

## Throughput for N users

Assumed load, per user and day: {events_day} events (each matching one trigger, so one
workflow run), {fires_day} scheduled fires, and a peak hour {peak}x the day's average.
A fire is counted as {commits_per_fire} commits (its slot, the run's insert and finish,
the fire's settlement). A primary is planned at {headroom} of the one-connection commit
rate measured, {commit_ceiling} commits/s, because commits wait for a WAL flush and
that, not CPU, is what the benchmark hit.

{table}

- **event-dispatch instances** is peak events/s over what one process dispatched. As
  deployed, event-dispatch scales to {dispatch_instances} instances, about
  {dispatch_ceiling} events/s; past that, Pub/Sub holds the messages (redelivered with
  back-off, dead-lettered after 10 failed attempts), so raise `max_instances` before the
  backlog ages.
- **Pub/Sub** carries one message per event, about 1 KB each: {largest_events} messages
  (about {largest_kb} KB) a second at the largest row, far below what one topic takes;
  the push subscription's delivery rate follows event-dispatch's answers.
- **Cloud SQL tier.** The default `{tier}` (1 vCPU, 3.75 GB) holds the connection
  budget above. Commits are the limit to watch: one primary at the planned rate
  dispatches about {primary_events} events/s, which at the assumed load is about
  {primary_users} users.

## When one primary is not enough

In order, as the commit rate (Cloud SQL's transaction count metric) approaches the
plan:

1. **A larger tier.** More vCPUs let more commits flush together (PostgreSQL groups
   concurrent commits into one WAL flush), so the rate grows with concurrency; a faster
   disk (larger SSD) shortens each flush.
2. **Fewer commits per fire and per event.** Dispatching an event whose runs are
   pure commits {commits_per_event} time(s): the claim, the run, the trigger count and the
   event's final state go together, so a crashed or redelivered delivery finds all or
   none of them ([Benchmarks](../benchmarks/index.md)). Runs with steps that act, and
   scheduled fires, still commit at each checkpoint, which is what lets them resume;
   batching the checkpoints of many runs into one commit is the next lever.
3. **Reads elsewhere.** Recall, lists and the event log can read from a read replica;
   writes stay on the primary.
4. **More primaries, split by user.** Every user-owned row is keyed and queried by
   `user_id`, and no query joins two users' rows, so users can be partitioned across
   several databases (a user's id chooses the instance); the shared relays (outbox,
   tick, settle) then run once per database.
"""
