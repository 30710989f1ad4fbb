"""The console against a live ``segp serve``, in headless Chromium: signing in, an
event arriving live and its run completing, why a trigger did not run (a cycle, an
event too deep), the runs of every workflow with a status filter, a run's timeline
(queued, sleeping, waiting and swarm runs included), retrying a failed run, cancelling
a sleeping one, firing and pausing a schedule, past evolutions and one whole, memory
and improvement views, keyboard use, labels and contrast, and the phone-sized layout.
Each view's screenshot is saved under the module's temporary directory
(``.pytest-tmp/console-screens0/``)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
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


def test_the_runs_list_shows_every_workflows_runs_as_they_stand(
    page: Any, server: Server, screens: Path
) -> None:
    """Queued (held by the workflow's concurrency), sleeping, waiting and swarm runs of
    several workflows in one list, filtered by status, each timeline saying what it
    waits for."""
    nap = [{"id": "nap", "type": "sleep", "config": {"seconds": 3600}}]
    held = server.call(
        "POST",
        "/api/workflow",
        {"name": "one at a time", "steps": nap, "flowControl": {"concurrency": 1}},
    )["workflow"]["id"]
    sleeping = server.call("POST", f"/api/workflow/{held}/run", {})["run"]
    queued = server.call("POST", f"/api/workflow/{held}/run", {})["run"]
    wait = {"eventType": "video.completed", "timeoutSeconds": 3600}
    awaits = workflow(
        server, "await video", [{"id": "video", "type": "waitForEvent", "config": wait}]
    )
    waiting = server.call("POST", f"/api/workflow/{awaits}/run", {})["run"]
    crowd = {
        "members": [{"agentId": "scribe_01", "count": 3}],
        "action": "generate",
        "config": {"topic": "launch"},
        "decide": "vote",
    }
    swarm = workflow(server, "crowd", [{"id": "crowd", "type": "swarm", "config": crowd}])
    voted = server.call("POST", f"/api/workflow/{swarm}/run?wait=20", {})["run"]
    assert voted["status"] == "succeeded", voted

    page.goto(f"{server.base}/console/#/runs")
    for run, status in ((sleeping, "sleeping"), (queued, "queued"), (waiting, "waiting")):
        row = page.locator(f"tr[data-run-id='{run['id']}']")
        expect(row.locator(f".badge[data-status={status}]")).to_be_visible()
    expect(page.locator(f"tr[data-run-id='{waiting['id']}']")).to_contain_text(
        "for video.completed"
    )
    shot(page, screens, "runs")
    page.get_by_label("Status").select_option("waiting")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator(f"tr[data-run-id='{waiting['id']}']")).to_be_visible()
    page.get_by_label("Status").select_option("")

    page.goto(f"{server.base}/console/#/runs/{queued['id']}")
    expect(page.locator(".meaning").first).to_contain_text("Queued")
    page.goto(f"{server.base}/console/#/runs/{waiting['id']}")
    expect(page.locator("li[data-step-id=video]")).to_contain_text(
        "Waits for an event video.completed until"
    )
    page.goto(f"{server.base}/console/#/runs/{voted['id']}")
    members = page.get_by_role("table", name="Members of crowd").locator("tbody tr")
    expect(members).to_have_count(3)
    expect(members.locator(".badge[data-status=succeeded]")).to_have_count(3)
    expect(page.locator("li[data-step-id=crowd]")).to_contain_text("Decided by vote: winner 0")
    shot(page, screens, "run-swarm")


def test_the_event_log_says_why_a_trigger_did_not_run(
    page: Any, server: Server, screens: Path
) -> None:
    """A workflow that emits what triggers it runs once (the second trigger is a
    cycle), and an event past EVENT_MAX_DEPTH (1 here) is not dispatched."""
    echo = workflow(
        server, "echo", [{"id": "again", "type": "emit", "config": {"eventType": "echo.ping"}}]
    )
    server.call(
        "POST",
        "/api/events/triggers",
        {"eventType": "echo.ping", "workflowId": echo, "name": "echo back"},
    )
    deeper = workflow(
        server, "deeper", [{"id": "on", "type": "emit", "config": {"eventType": "echo.deep"}}]
    )
    server.call("POST", "/api/events/triggers", {"eventType": "echo.ping", "workflowId": deeper})
    server.call("POST", "/api/events", {"eventType": "echo.ping", "payload": {"n": 1}})

    page.get_by_label("Filter by type").fill("echo.ping")
    page.get_by_label("Filter by type").press("Enter")
    cards = page.locator("li.card")
    expect(cards).to_have_count(2)
    first, emitted = cards.nth(1), cards.nth(0)  # newest first
    expect(first.get_by_role("link", name="Run of echo")).to_be_visible()
    expect(emitted).to_contain_text("Emitted by a run of echo")
    expect(emitted.locator("[data-entry=cycle]")).to_contain_text("echo back did not run echo")
    page.get_by_label("Filter by type").fill("echo.deep")
    page.get_by_label("Filter by type").press("Enter")
    deep = page.locator("li.card").filter(has=page.locator(".badge[data-status=too_deep]"))
    expect(deep).to_have_count(1)
    expect(deep).to_contain_text("past EVENT_MAX_DEPTH 1")
    page.get_by_label("Filter by type").fill("")
    page.get_by_label("Filter by type").press("Enter")
    shot(page, screens, "events-not-run")


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
    expect(page.get_by_role("button", name="Retry from the failed step")).to_have_count(0)


def test_a_sleeping_run_is_cancelled_from_its_timeline(page: Any, server: Server) -> None:
    wid = workflow(server, "nap", [{"id": "nap", "type": "sleep", "config": {"seconds": 3600}}])
    run = server.call("POST", f"/api/workflow/{wid}/run", {})["run"]
    page.goto(f"{server.base}/console/#/runs/{run['id']}")
    expect(page.locator(".panel .badge").first).to_have_attribute("data-status", "sleeping")
    expect(page.locator(".meaning").first).to_contain_text("Sleeping in step nap; it wakes")
    expect(page.locator("li[data-step-id=nap]")).to_contain_text("Sleeps until")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator("#status")).to_contain_text("Cancelled: run is cancelled")
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    expect(page.locator(".meaning").first).to_contain_text("Cancelled")


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


def test_an_evolution_run_from_the_console_opens_whole_with_its_scores(
    page: Any, server: Server, screens: Path
) -> None:
    page.goto(f"{server.base}/console/#/evolutions")
    draft = (
        "Pure hustle in the studio. Pure hustle in the studio. Game-changer presets for portraits."
    )
    page.get_by_label("Output (text, or a JSON object)").fill(draft)
    page.get_by_role("button", name="Evolve").click()
    expect(page).to_have_url(re.compile(r"#/evolutions/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Stopped: ")).to_be_visible()
    expect(page.get_by_label("Original output")).to_have_text(draft)
    expect(page.get_by_label("Evolved output")).not_to_have_text(draft)
    expect(page.get_by_role("group", name="Differences").locator("del")).not_to_have_count(0)
    scores = page.get_by_role("table", name="Scores per iteration").locator("tbody tr")
    expect(scores.first).to_contain_text("0 (original)")
    expect(scores.first.get_by_role("img", name=re.compile(r"^score 0\.\d\d$"))).to_be_visible()
    expect(page.locator("dl.kv").filter(has_text="modelCalls")).to_be_visible()
    shot(page, screens, "evolution")


def test_past_evolutions_are_listed_and_one_opens_whole(
    page: Any, server: Server, screens: Path
) -> None:
    """Evolutions run elsewhere (the API, a workflow) are the console's history too."""
    made = server.call(
        "POST",
        "/api/oracle/evolve",
        {"agentId": "brandguard_01", "output": "NEW PRESETS!!! BUY NOW!!! BUY NOW!!!"},
    )
    page.goto(f"{server.base}/console/#/evolutions")
    row = page.locator(f"tr[data-evolution-id='{made['evolutionId']}']")
    expect(row).to_contain_text(made["stopReason"])
    expect(row).to_contain_text("brandguard_01")
    page.get_by_label("Agent", exact=True).fill("brandguard_01")
    page.get_by_label("Agent", exact=True).press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    shot(page, screens, "evolutions")
    row.get_by_role("link", name=re.compile("^Open")).click()
    expect(page.get_by_role("heading", name=f"Evolution {made['evolutionId'][:8]}")).to_be_visible()
    expect(page.get_by_label("Original output")).to_have_text(made["original"])
    critiques = [e for e in made["evolutionLog"] if e["step"] == "critique"]
    rows = page.get_by_role("table", name="Scores per iteration").locator("tbody tr")
    expect(rows).to_have_count(len(critiques))


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


def test_memory_recall_shows_each_result_with_its_similarity_and_ranking(
    page: Any, server: Server, screens: Path
) -> None:
    page.goto(f"{server.base}/console/#/memory")
    page.get_by_label("Content").fill("The customer prefers invoices by email on Fridays")
    page.get_by_role("button", name="Store").click()
    expect(page.locator("#status")).to_contain_text("Memory created")
    page.get_by_label("Query").fill("customer invoices email")
    found = page.get_by_role("list", name="Memories found, best first").get_by_role("listitem")
    page.get_by_label("Ranking").select_option("keyword")
    page.get_by_role("button", name="Search").click()
    expect(found.first).to_contain_text("found by keyword (#1, ")
    page.get_by_label("Ranking").select_option("hybrid")
    page.get_by_role("button", name="Search").click()
    expect(found.first).to_contain_text("invoices by email")
    expect(found.first.get_by_role("img", name=re.compile(r"^similarity \d"))).to_be_visible()
    expect(found.first).to_contain_text(
        re.compile(r"found by semantic \(#\d+, [\d.]+\) and keyword")
    )
    shot(page, screens, "memory")


def test_a_proposed_improvement_is_accepted_from_the_console(
    page: Any, server: Server, screens: Path
) -> None:
    server.call(
        "POST",
        "/api/improve/feedback",
        {"agentId": "scribe_01", "rating": 1, "comment": "too vague, no numbers"},
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
UNLABELLED = """() => [...document.querySelectorAll('#view input, #view select, #view textarea, #view button')]
  .filter((el) => !el.labels?.length && !el.getAttribute('aria-label') && !el.textContent.trim())
  .map((el) => el.outerHTML)"""
# WCAG 2 contrast of every visible text against the background it is drawn on (the
# nearest opaque one); 4.5:1, or 3:1 for large text; disabled controls are exempt
LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const under = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (style.backgroundImage !== "none") return null;
      const c = rgb(style.backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!walk.currentNode.textContent.trim() || !el.getClientRects().length || el.closest(":disabled")) continue;
    const style = getComputedStyle(el);
    const back = under(el);
    if (!back || style.visibility === "hidden") continue;
    const [hi, lo] = [lum(rgb(style.color)), lum(back)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName} "${walk.currentNode.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def open_view(page: Any, server: Server, route: str) -> None:
    """Go to a view and wait until what it loads first has come."""
    page.goto(f"{server.base}/console/#/{route}")
    name = route.split("/")[0]
    expect(page.locator(f"#view[data-view={name}][aria-busy=false] h1")).to_be_visible()


@pytest.fixture(scope="module")
def some_pages(server: Server) -> list[str]:
    """Every view, a sleeping run's timeline and an evolution whole."""
    nap = workflow(server, "a nap", [{"id": "nap", "type": "sleep", "config": {"seconds": 60}}])
    run = server.call("POST", f"/api/workflow/{nap}/run", {})["run"]
    evolution = server.call("POST", "/api/oracle/evolve", {"agentId": "scribe_01", "output": "Hi."})
    return [*VIEWS, f"runs/{run['id']}", f"evolutions/{evolution['evolutionId']}"]


def test_every_control_has_a_label_and_every_text_enough_contrast(
    page: Any, server: Server, some_pages: list[str]
) -> None:
    expect(page.get_by_role("banner")).to_be_visible()
    expect(page.get_by_role("navigation", name="Views")).to_be_visible()
    for route in some_pages:
        open_view(page, server, route)
        assert page.evaluate(UNLABELLED) == [], route
        assert page.evaluate(LOW_CONTRAST) == [], route


def test_the_views_and_their_actions_are_reached_by_keyboard(page: Any, server: Server) -> None:
    open_view(page, server, "events")
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
    expect(page.locator("#view[aria-busy=false] tbody tr").first).to_be_visible()
    # from the view's top, Tab reaches the first run's timeline link, and Enter opens it
    first = page.get_by_role("link", name=re.compile("^Timeline of run")).first
    for _ in range(12):
        page.keyboard.press("Tab")
        if first.evaluate("(el) => el === document.activeElement"):
            break
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Timeline", level=2)).to_be_visible()


def test_the_views_fit_a_phone_sized_screen(
    page: Any, server: Server, screens: Path, some_pages: list[str]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for route in some_pages:
        open_view(page, server, route)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{route} scrolls sideways by {overflow}px"
        one = {"runs": "run-timeline", "evolutions": "evolution"}
        name = one[route.split("/")[0]] if "/" in route else route
        shot(page, screens, f"phone-{name}")
