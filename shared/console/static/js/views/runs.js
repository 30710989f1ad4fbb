// Runs: every workflow's runs with a status filter, running a workflow now, and one
// run's timeline of steps (attempts, waits, input and output) with retry and cancel.
import { followRun, get, post, queryEnum } from "../api.js";
import { action, announce, badge, between, disclose, duration, field, formPanel, h, json, kv, options, parseJson, poll, refresh, when } from "../ui.js";
import { workflowName, workflowsById } from "./shared.js";

const RUNS_PATH = "/api/workflow/{id}/runs";

export async function render(root, [runId]) {
  return runId ? timeline(root, runId) : list(root);
}

async function list(root) {
  const workflows = await workflowsById();
  const statuses = await queryEnum(RUNS_PATH, "get", "status");
  const pick = h("select", { name: "workflow" });
  options(pick, [...workflows.values()].map((w) => [String(w.id), w.name]), { all: "All workflows" });
  const status = h("select", { name: "status" });
  options(status, statuses, { all: "Any status" });
  const table = h("div", { "aria-live": "off" });

  const runWhich = h("select", { name: "runWorkflow", required: true });
  options(runWhich, [...workflows.values()].map((w) => [String(w.id), w.name]));
  const input = h("textarea", { name: "input", rows: 3, spellcheck: false }, "{}");
  const runForm = formPanel({
    id: "run-now-title",
    title: "Run a workflow now",
    fields: [field("Workflow", runWhich), field("Input (JSON object)", input)],
    button: "Run now",
    submit: async (outcome) => {
      const result = await post(`workflow/${runWhich.value}/run`, { input: parseJson(input.value, "Input") });
      const run = await followRun(result.run);
      outcome.replaceChildren("Run ", h("a", { href: `#/runs/${run.id}` }, String(run.id).slice(0, 8)), " ", badge(run.status));
      announce(`Run started: ${run.status}`);
    },
  });
  runForm.querySelector("button").disabled = !workflows.size;

  root.append(
    h("h1", {}, "Runs"),
    h(
      "div",
      { className: "grid" },
      runForm,
      h(
        "section",
        { "aria-labelledby": "runs-title" },
        h("h2", { id: "runs-title" }, "Recent runs"),
        h("div", { className: "toolbar" }, field("Workflow", pick), field("Status", status)),
        table,
      ),
    ),
  );
  const tick = async () => {
    const chosen = pick.value ? [pick.value] : [...workflows.keys()];
    const pages = await Promise.all(
      chosen.map((id) => get(`workflow/${id}/runs`, { status: status.value || undefined, limit: 20 })),
    );
    const runs = pages.flatMap((p) => p.runs).sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
    refresh(table, JSON.stringify(runs), () => runTable(runs.slice(0, 100), workflows));
  };
  for (const control of [pick, status]) control.addEventListener("change", tick);
  return poll(2000, tick);
}

function runTable(runs, workflows) {
  if (!runs.length) return h("p", { className: "hint" }, "No runs match.");
  const head = ["Started", "Workflow", "Trigger", "Status", "Duration", ""].map((t) => h("th", { scope: "col" }, t));
  return h(
    "table",
    { className: "stack" },
    h("caption", { className: "sr-only" }, "Runs, newest first"),
    h("thead", {}, h("tr", {}, head)),
    h(
      "tbody",
      {},
      runs.map((run) =>
        h(
          "tr",
          { dataset: { runId: run.id } },
          h("td", { dataset: { label: "Started" } }, when(run.started_at)),
          h("td", { dataset: { label: "Workflow" } }, workflowName(workflows, run.workflow_id)),
          h("td", { dataset: { label: "Trigger" } }, run.trigger_type),
          h("td", { dataset: { label: "Status" } }, badge(run.status)),
          h("td", { dataset: { label: "Duration" } }, duration(between(run.started_at, run.finished_at))),
          h("td", {}, h("a", { href: `#/runs/${run.id}`, dataset: { focus: `open-${run.id}` } }, "Timeline", h("span", { className: "sr-only" }, ` of run ${run.id}`))),
        ),
      ),
    ),
  );
}

const RUN_FIELDS = ["id", "workflow_id", "status", "step_results", "trigger_data", "input", "definition", "user_id"];
const STEP_FIELDS = ["id", "type", "status", "input", "output", "error", "attempts", "startedAt", "durationMs", "members"];

async function timeline(root, runId) {
  const workflows = await workflowsById();
  const summary = h("div");
  const steps = h("div");
  root.append(
    h("p", {}, h("a", { href: "#/runs" }, "← All runs")),
    h("h1", {}, `Run ${runId.slice(0, 8)}`),
    summary,
    h("section", { "aria-labelledby": "steps-title" }, h("h2", { id: "steps-title" }, "Timeline"), steps),
  );
  let stop = null;
  const load = async () => {
    const run = await get(`workflow/run/${runId}`);
    refresh(summary, JSON.stringify(run), () => header(run, workflows, load));
    refresh(steps, JSON.stringify(run.step_results), () => stepList(run));
    if (run.finished_at && stop) {
      stop();
      stop = null;
    }
  };
  stop = poll(1000, load);
  return () => stop?.();
}

function header(run, workflows, reload) {
  const then = (verb) => (result) => {
    reload();
    return `${verb}: run is ${result.run.status}`;
  };
  const retry = action("Retry from the failed step", () => post(`workflow/run/${run.id}/retry`), { describe: then("Retried") });
  retry.disabled = run.status !== "failed";
  const cancel = action("Cancel run", () => post(`workflow/run/${run.id}/cancel`), { secondary: true, describe: then("Cancelled") });
  cancel.disabled = Boolean(run.finished_at);
  return h(
    "div",
    { className: "panel" },
    h(
      "div",
      { className: "toolbar" },
      h("span", {}, "Status "),
      badge(run.status),
      h("span", {}, `workflow ${workflowName(workflows, run.workflow_id)}`),
      retry,
      cancel,
    ),
    kv({ ...run, duration: duration(between(run.started_at, run.finished_at)) }, RUN_FIELDS),
    disclose("Trigger data", json(run.trigger_data ?? {}, "Trigger data")),
    disclose("Input", json(run.input ?? {}, "Input")),
  );
}

function stepList(run) {
  const results = run.step_results || [];
  if (!results.length) return h("p", { className: "hint" }, "No step has run yet.");
  const longest = Math.max(1, ...results.map((s) => s.durationMs || 0));
  return h(
    "ol",
    { className: "timeline" },
    results.map((step) =>
      h(
        "li",
        { dataset: { stepId: step.id, status: step.status } },
        h(
          "div",
          { className: "card" },
          h(
            "header",
            {},
            h("h3", {}, step.id),
            h("span", { className: "hint" }, step.type || ""),
            badge(step.status),
            when(step.startedAt),
            h("span", {}, duration(step.durationMs)),
          ),
          h("div", { className: "bar", style: `width: ${Math.max(1, (100 * (step.durationMs || 0)) / longest)}%`, role: "presentation" }),
          step.error ? h("p", { className: "error" }, step.error) : null,
          kv(step, STEP_FIELDS),
          step.attempts?.length
            ? disclose(
                `Attempts (${step.attempts.length})`,
                h("ol", {}, step.attempts.map((a) => h("li", {}, when(a.startedAt), ` ${duration(a.durationMs)} `, a.error || "ok"))),
              )
            : null,
          memberList(step),
          "input" in step ? disclose("Input", json(step.input, `Input of ${step.id}`)) : null,
          "output" in step ? disclose("Output", json(step.output, `Output of ${step.id}`)) : null,
        ),
      ),
    ),
  );
}

/** A swarm step's members: as they stand while it is out, as decided once it is done. */
function memberList(step) {
  const members = step.output?.members || step.members;
  if (!members?.length) return null;
  const winner = step.output?.winner;
  return h(
    "ol",
    { className: "members", "aria-label": `Members of ${step.id}` },
    members.map((m) =>
      h(
        "li",
        { dataset: { member: String(m.index), status: m.status } },
        h("span", {}, `#${m.index} ${m.agentId} `),
        badge(m.status),
        h("span", { className: "hint" }, ` ${m.attempts} attempt${m.attempts === 1 ? "" : "s"} ${duration(m.durationMs)}`),
        m.vote !== undefined ? h("span", {}, ` vote ${JSON.stringify(m.vote)}`) : null,
        m.score != null ? h("span", {}, ` score ${m.score}`) : null,
        winner === m.index ? h("strong", {}, " winner") : null,
        m.error ? h("span", { className: "error" }, ` ${m.error}`) : null,
      ),
    ),
  );
}
