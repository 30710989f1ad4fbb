// Runs: the user's runs of every workflow (one paged list, polled), filtered by
// workflow and status, and running a workflow now. One run's timeline is timeline.js.
import { followRun, get, post, queryEnum } from "../api.js";
import { announce, badge, between, duration, field, formPanel, h, options, parseJson, poll, refresh, table, when } from "../ui.js";
import { workflowName, workflowsById } from "./shared.js";
import * as timeline from "./timeline.js";

const RUNS_PATH = "/api/workflow/runs";
const PAGE = 25;

export async function render(root, [runId]) {
  return runId ? timeline.render(root, runId) : list(root);
}

async function list(root) {
  const [workflows, statuses] = await Promise.all([workflowsById(), queryEnum(RUNS_PATH, "get", "status")]);
  const named = [...workflows.values()].map((w) => [String(w.id), w.name]);
  const pick = h("select", { name: "workflow" });
  options(pick, named, { all: "All workflows" });
  const status = h("select", { name: "status" });
  options(status, statuses, { all: "Any status" });
  const table = h("div");
  const pages = []; // the cursors of the pages before the one shown; empty: the newest
  let next = null;
  const newer = h("button", { type: "button", className: "secondary", disabled: true }, "Newer runs");
  const older = h("button", { type: "button", className: "secondary", disabled: true }, "Older runs");
  const where = h("span", { className: "hint", "aria-live": "polite" });

  root.append(
    h("h1", {}, "Runs"),
    h(
      "div",
      { className: "grid" },
      runNow(workflows, named),
      h(
        "section",
        { "aria-labelledby": "runs-title" },
        h("h2", { id: "runs-title" }, "Recent runs"),
        h("div", { className: "toolbar" }, field("Workflow", pick), field("Status", status)),
        table,
        h("nav", { className: "toolbar", "aria-label": "Pages of runs" }, newer, older, where),
      ),
    ),
  );
  const tick = async () => {
    const query = { workflowId: pick.value, status: status.value, limit: PAGE, cursor: pages.at(-1) };
    const page = await get("workflow/runs", query);
    next = page.next_cursor;
    newer.disabled = !pages.length;
    older.disabled = !next;
    where.textContent = pages.length ? `page ${pages.length + 1}` : "newest, live";
    refresh(table, JSON.stringify(page.runs), () => runTable(page.runs, workflows));
  };
  const again = () => {
    table.dataset.key = "";
    tick();
  };
  for (const control of [pick, status]) {
    control.addEventListener("change", () => {
      pages.length = 0;
      again();
    });
  }
  newer.addEventListener("click", () => {
    pages.pop();
    again();
  });
  older.addEventListener("click", () => {
    if (next) pages.push(next);
    again();
  });
  return poll(2000, tick);
}

function runNow(workflows, named) {
  const which = h("select", { name: "runWorkflow", required: true });
  options(which, named);
  const input = h("textarea", { name: "input", rows: 3, spellcheck: false }, "{}");
  const form = formPanel({
    id: "run-now-title",
    title: "Run a workflow now",
    fields: [field("Workflow", which), field("Input (JSON object)", input)],
    button: "Run now",
    submit: async (outcome) => {
      const result = await post(`workflow/${which.value}/run`, { input: parseJson(input.value, "Input") });
      const run = await followRun(result.run);
      outcome.replaceChildren("Run ", h("a", { href: `#/runs/${run.id}` }, String(run.id).slice(0, 8)), " ", badge(run.status));
      announce(`Run started: ${run.status}`);
    },
  });
  form.querySelector("button").disabled = !workflows.size;
  return form;
}

/** What a run's status means, in a few words (the timeline says more). */
export function note(run) {
  if (run.error) return run.error;
  if (run.status === "sleeping" && run.wake_at) return h("span", {}, "wakes ", when(run.wake_at));
  const waiting = (run.step_results || []).at(-1)?.waitingFor;
  if (run.status === "waiting" && waiting) return `for ${waiting.eventType}`;
  if (run.status === "queued") return "held until it may start";
  return "";
}

function runTable(runs, workflows) {
  if (!runs.length) return h("p", { className: "hint" }, "No runs match.");
  return table({
    caption: "Runs, newest first",
    columns: ["Started", "Workflow", "Trigger", "Status", "Duration", "Note", ""],
    rows: runs.map((run) => [
      { dataset: { runId: run.id } },
      [
        when(run.started_at),
        workflowName(workflows, run.workflow_id),
        run.trigger_type,
        badge(run.status),
        duration(between(run.started_at, run.finished_at)),
        h("span", { className: "note" }, note(run)),
        h("a", { href: `#/runs/${run.id}`, dataset: { focus: `open-${run.id}` } }, "Timeline", h("span", { className: "sr-only" }, ` of run ${run.id}`)),
      ],
    ]),
  });
}
