"""The console against a live ``segp serve``, in headless Chromium: signing in, an
event arriving live and its run completing, a run's timeline, retrying a failed run,
cancelling a sleeping one, firing and pausing a schedule, the evolution, memory and
improvement views, keyboard use and labels, and the phone-sized layout. Each view's
screenshot is saved under the module's temporary directory."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.console.conftest import Server
from tests.workflows.conftest import Endpoint


def workflow(server: Server, name: str, steps: list[dict[str, Any]]) -> str:
    created = server.call("POST", "/api/workflow", {"name": name, "steps": steps})
    return str(created["workflow"]["id"])


def http(step_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "type": "http", "config": {"url": url}, **extra}


def shot(page: Any, screens: Path, name: str) -> None:
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True)


def test_the_printed_link_signs_in_and_a_refused_token_says_why(page: Any, server: Server) -> None:
    expect(page.get_by_text("Signed in as dev")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/console/#/events$"))  # the token left the URL
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("User token (JWT)").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That token was refused")
    page.get_by_label("User token (JWT)").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Events", level=1)).to_be_visible()


def test_an_event_sent_from_the_console_arrives_live_with_its_completed_run(
    page: Any, server: Server, endpoint: Endpoint, screens: Path
) -> None:
    wid = workflow(server, "greet", [http("call", endpoint.url("/hi"))])
    server.call("POST", "/api/events/triggers", {"eventType": "console.ping", "workflowId": wid})
    page.get_by_label("Event type").fill("console.ping")
    page.get_by_label("Payload (JSON object)").fill('{"who": "console"}')
    page.get_by_role("button", name="Send event").click()
    expect(page.get_by_role("status").filter(has_text="Accepted: event")).to_be_visible()
    event = page.locator("li.card", has=page.get_by_role("heading", name="console.ping"))
    expect(event.get_by_role("link", name="Run of greet")).to_be_visible()
    expect(event.locator(".badge[data-status=succeeded]")).to_be_visible()
    expect(event.locator(".badge[data-status=dispatched]")).to_be_visible()
    shot(page, screens, "events")

    event.get_by_role("button", name=re.compile("^Replay")).click()
    expect(page.locator("#status")).to_contain_text("Replayed console.ping")
    expect(
        page.locator("li.card", has=page.get_by_role("heading", name="console.ping"))
    ).to_have_count(2)


def test_a_runs_timeline_shows_each_step_with_its_output(
    page: Any, server: Server, endpoint: Endpoint, screens: Path
) -> None:
    wid = workflow(
        server,
        "two steps",
        [
            http("first", endpoint.url("/one")),
            http("second", endpoint.url("/two")),
        ],
    )
    run = server.call("POST", f"/api/workflow/{wid}/run", {})["run"]
    page.goto(f"{server.base}/console/#/runs")
    row = page.locator(f"tr[data-run-id='{run['id']}']")
    expect(row.locator(".badge[data-status=succeeded]")).to_be_visible()
    row.get_by_role("link", name=re.compile("^Timeline")).click()
    steps = page.locator("ol.timeline > li")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_have_attribute("data-step-id", "first")
    expect(steps.nth(1).locator(".badge[data-status=succeeded]")).to_be_visible()
    steps.nth(1).get_by_text("Output").click()
    expect(steps.nth(1).get_by_label("Output of second")).to_contain_text("/two")
    shot(page, screens, "run-timeline")


def test_a_swarm_steps_timeline_lists_its_members_and_the_winner(page: Any, server: Server) -> None:
    crowd = {"members": [{"agentId": "scribe_01", "count": 3}], "action": "generate",
             "config": {"topic": "tea"}, "decide": "vote", "voteKey": "title"}  # fmt: skip
    wid = workflow(server, "crowd", [{"id": "crowd", "type": "swarm", "config": crowd}])
    run = server.call("POST", f"/api/workflow/{wid}/run", {})["run"]
    page.goto(f"{server.base}/console/#/runs/{run['id']}")
    members = page.get_by_label("Members of crowd").locator("li")
    expect(members).to_have_count(3)
    for index in range(3):
        expect(members.nth(index).locator(".badge[data-status=succeeded]")).to_be_visible()
    expect(members.filter(has_text="winner")).to_have_count(1)


def test_a_failed_run_started_from_the_console_is_retried_from_its_failed_step(
    page: Any, server: Server, endpoint: Endpoint, screens: Path
) -> None:
    flaky = endpoint.url(f"/busy?key={uuid.uuid4()}&times=1")  # 503 once, then 200
    workflow(
        server,
        "flaky",
        [
            http("ok", endpoint.url("/fine")),
            http("flaky", flaky, retries=0),
        ],
    )
    page.goto(f"{server.base}/console/#/runs")
    page.get_by_label("Workflow", exact=True).first.select_option(label="flaky")
    page.get_by_role("button", name="Run now").click()
    outcome = page.locator("form", has_text="Run a workflow now").get_by_role("status")
    expect(outcome.locator(".badge[data-status=failed]")).to_be_visible()
    outcome.get_by_role("link").click()
    expect(page.locator(".panel .badge[data-status=failed]").first).to_be_visible()
    expect(page.locator("li[data-step-id=flaky]")).to_have_attribute("data-status", "failed")
    shot(page, screens, "run-failed")
    page.get_by_role("button", name="Retry from the failed step").click()
    expect(page.locator("#status")).to_contain_text("Retried: run is succeeded")
    expect(page.locator("li[data-step-id=flaky]")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_role("button", name="Retry from the failed step")).to_be_disabled()


def test_a_sleeping_run_is_cancelled_from_its_timeline(page: Any, server: Server) -> None:
    wid = workflow(server, "nap", [{"id": "nap", "type": "sleep", "config": {"seconds": 3600}}])
    run = server.call("POST", f"/api/workflow/{wid}/run", {})["run"]
    page.goto(f"{server.base}/console/#/runs/{run['id']}")
    expect(page.locator(".panel .badge").first).to_have_attribute("data-status", "sleeping")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator("#status")).to_contain_text("Cancelled: run is cancelled")
    expect(page.get_by_role("button", name="Cancel run")).to_be_disabled()


def test_a_schedule_shows_its_cron_in_words_and_fires_now(
    page: Any, server: Server, endpoint: Endpoint, screens: Path
) -> None:
    wid = workflow(
        server,
        "weekly report",
        [http("call", endpoint.url("/r"))],
    )
    body = {
        "name": "monday report",
        "workflowId": wid,
        "cronExpression": "0 9 * * 1",
        "timezone": "America/New_York",
    }
    server.call("POST", "/api/scheduler/tasks", body)
    page.goto(f"{server.base}/console/#/schedules")
    task = page.locator("li.card", has=page.get_by_role("heading", name="monday report"))
    expect(task.get_by_text("At 09:00, only on Monday, America/New_York")).to_be_visible()
    expect(task.locator("ol.next-fires > li")).to_have_count(5)
    task.get_by_role("button", name="Fire now").click()
    # the fire hands its run off: it may still be queued or running when the answer comes
    expect(page.locator("#status")).to_contain_text("Fire fired: run ")
    # its history row is `running` until the handed-off run ends and the row is settled
    forced = task.locator("tbody tr", has_text="forced")
    expect(forced).to_have_count(1)
    expect(forced.locator(".badge[data-status=running], .badge[data-status=fired]")).to_be_visible()
    shot(page, screens, "schedules")
    task.get_by_role("button", name="Pause").click()
    task = page.locator("li.card", has=page.get_by_role("heading", name="monday report"))
    expect(task.locator(".badge[data-status=paused]")).to_be_visible()
    task.get_by_role("button", name="Resume").click()
    expect(task.locator(".badge[data-status=active]")).to_be_visible()


def test_an_evolution_shows_original_and_evolved_with_scores(
    page: Any, server: Server, screens: Path
) -> None:
    page.goto(f"{server.base}/console/#/evolutions")
    page.get_by_label("Output (text, or a JSON object)").fill("Launch next week. It is good.")
    page.get_by_role("button", name="Evolve").click()
    result = page.get_by_role("article", name="Evolution 1")
    expect(result.get_by_label("Original", exact=True).first).to_be_visible()
    expect(result.get_by_label("Evolved", exact=True).first).to_be_visible()
    expect(result.get_by_role("group", name="Differences")).to_be_visible()
    expect(result.locator("tbody tr")).not_to_have_count(0)
    shot(page, screens, "evolutions")


def test_the_evolution_diff_marks_the_sentences_that_changed(page: Any) -> None:
    changes = page.evaluate(
        """async () => {
          const { diffLines, pieces } = await import("./js/diff.js");
          return diffLines(pieces("We launch. It is good. Buy it."), pieces("We launch. It saves an hour a day. Buy it."));
        }"""
    )
    assert changes == [
        ["same", "We launch."],
        ["del", "It is good."],
        ["ins", "It saves an hour a day."],
        ["same", "Buy it."],
    ]


def test_memory_recall_shows_each_result_with_its_similarity(
    page: Any, server: Server, screens: Path
) -> None:
    page.goto(f"{server.base}/console/#/memory")
    page.get_by_label("Content").fill("The customer prefers invoices by email on Fridays")
    page.get_by_role("button", name="Store").click()
    expect(page.locator("#status")).to_contain_text("Memory created")
    page.get_by_label("Query").fill("how does the customer want invoices")
    page.get_by_role("button", name="Search").click()
    found = page.get_by_role("list", name="Memories found, best first").get_by_role("listitem")
    expect(found.first).to_contain_text("invoices by email")
    expect(found.first.get_by_role("img", name=re.compile(r"^similarity \d"))).to_be_visible()
    expect(found.first).to_contain_text("found by")
    shot(page, screens, "memory")


def test_a_proposed_improvement_is_accepted_from_the_console(
    page: Any, server: Server, screens: Path
) -> None:
    server.call(
        "POST",
        "/api/improve/feedback",
        {"agentId": "scribe", "rating": 1, "comment": "too vague, no numbers"},
    )
    page.goto(f"{server.base}/console/#/goals")
    page.get_by_role("button", name="Propose improvements").click()
    expect(page.locator("#status")).to_contain_text("1 proposal(s)")
    page.get_by_label("Status").select_option("proposed")
    page.get_by_role("button", name="Show").click()
    proposal = page.locator("li.card", has=page.locator(".badge[data-status=proposed]"))
    expect(proposal).to_have_count(1)
    shot(page, screens, "goals")
    proposal.get_by_role("button", name=re.compile("^Accept")).click()
    expect(page.locator("#status")).to_contain_text("Improvement active")
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("li.card .badge[data-status=active]")).to_have_count(1)


VIEWS = ["events", "runs", "schedules", "evolutions", "memory", "goals"]


def test_every_control_has_a_label_and_the_views_are_reached_by_keyboard(
    page: Any, server: Server
) -> None:
    expect(page.get_by_role("banner")).to_be_visible()
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()
    for view in VIEWS:
        page.goto(f"{server.base}/console/#/{view}")
        expect(page.locator(f"#view[data-view={view}] h1")).to_be_visible()
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('#view input, #view select, #view textarea, #view button')]
                 .filter((el) => !el.labels?.length && !el.getAttribute('aria-label') && !el.textContent.trim())
                 .map((el) => el.outerHTML)"""
        )
        assert unlabelled == [], f"{view}: {unlabelled}"
    page.goto(f"{server.base}/console/#/events")
    page.reload()  # focus starts at the top of the page
    expect(page.get_by_role("heading", name="Events", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#/events$"))  # skipping kept the view
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Sign out")).to_be_focused()
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Events")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Runs")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Runs", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Runs")).to_have_attribute("aria-current", "page")
    expect(page.locator("main")).to_be_focused()  # the next Tab goes into the view


def test_the_views_fit_a_phone_sized_screen(page: Any, server: Server, screens: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for view in VIEWS:
        page.goto(f"{server.base}/console/#/{view}")
        expect(page.locator(f"#view[data-view={view}] h1")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{view} scrolls sideways by {overflow}px"
        shot(page, screens, f"phone-{view}")
