// One run: what its status means, retry (a failed run) and cancel (one not ended), and
// its timeline of steps: each on a bar placed in the run's time, with its attempts,
// what it sleeps or waits for, a swarm's members and decision, its input and output.
import { followRun, get, post } from "../api.js";
import { action, badge, between, disclose, duration, h, json, kv, poll, refresh, table, when } from "../ui.js";
import { workflowName, workflowsById } from "./shared.js";

const UNFINISHED = ["queued", "running", "sleeping", "waiting"];
const RUN_FIELDS = ["id", "workflow_id", "status", "step_results", "trigger_data", "input", "definition", "user_id"];
const STEP_FIELDS = ["id", "type", "status", "input", "output", "error", "attempts", "startedAt", "durationMs", "members", "waitingFor", "nextAttemptAt", "reason", "matched"];

export async function render(root, runId) {
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

/** The run's status in words: what it waits for, or why it ended as it did. */
function meaning(run) {
  const last = (run.step_results || []).at(-1) || {};
  switch (run.status) {
    case "queued":
      return "Queued: it starts when its workflow's flow control lets it (a free concurrency slot) or its hand-off is picked up.";
    case "running":
      return `Running step ${last.id ?? "one"}.`;
    case "sleeping":
      return h("span", {}, `Sleeping in step ${last.id}; it wakes `, when(run.wake_at), " (at most a minute later).");
    case "waiting":
      return last.waitingFor
        ? h("span", {}, `Waiting in step ${last.id} for an event ${last.waitingFor.eventType}, until `, when(last.waitingFor.timeoutAt), ".")
        : "Waiting for an event.";
    case "failed":
      return `Failed${run.error ? `: ${run.error}` : ""}. Retry continues from the failed step, keeping the steps that succeeded.`;
    case "skipped":
      return `Skipped${run.error ? `: ${run.error}` : ""}.`;
    case "succeeded":
      return `Succeeded in ${duration(between(run.started_at, run.finished_at))}.`;
    case "cancelled":
      return "Cancelled: the steps after the one in flight were not run.";
    default:
      return `${run.status}.`;
  }
}

function header(run, workflows, reload) {
  const then = (verb) => (result) => {
    reload();
    return `${verb}: run is ${result.run.status}`;
  };
  // a retried run is handed off (202, running): follow it as Run now does
  const retried = async () => {
    const result = await post(`workflow/run/${run.id}/retry`);
    return { ...result, run: await followRun(result.run) };
  };
  const actions = [];
  if (run.status === "failed") {
    actions.push(action("Retry from the failed step", retried, { describe: then("Retried") }));
  }
  if (UNFINISHED.includes(run.status)) {
    actions.push(action("Cancel run", () => post(`workflow/run/${run.id}/cancel`), { secondary: true, describe: then("Cancelled") }));
  }
  const trigger = run.trigger_data || {};
  return h(
    "div",
    { className: "panel" },
    h("div", { className: "toolbar" }, h("span", {}, "Status "), badge(run.status), h("span", {}, `workflow ${workflowName(workflows, run.workflow_id)}`), actions),
    h("p", { className: "meaning" }, meaning(run)),
    trigger.eventType ? h("p", { className: "hint" }, `Started by the event ${trigger.eventType} (${String(trigger.eventId).slice(0, 8)}).`) : null,
    kv({ ...run, started_at: when(run.started_at), finished_at: when(run.finished_at), wake_at: when(run.wake_at), duration: duration(between(run.started_at, run.finished_at)) }, RUN_FIELDS),
    disclose("Trigger data", json(trigger, "Trigger data")),
    disclose("Input", json(run.input ?? {}, "Input")),
  );
}

/** Each step's place on the run's time line, as [start, end] in ms from the run's start;
 * a step still waiting runs to now. */
function spans(run, results) {
  const start = new Date(run.started_at).getTime();
  const now = run.finished_at ? new Date(run.finished_at).getTime() : Date.now();
  return results.map((step) => {
    const from = step.startedAt ? new Date(step.startedAt).getTime() - start : 0;
    const to = step.status === "waiting" ? now - start : from + (step.durationMs || 0);
    return [Math.max(0, from), Math.max(from, to)];
  });
}

function stepList(run) {
  const results = run.step_results || [];
  if (!results.length) return h("p", { className: "hint" }, run.status === "queued" ? "No step has run yet: the run is queued." : "No step has run.");
  const placed = spans(run, results);
  const span = Math.max(1, ...placed.map(([, to]) => to));
  return h(
    "ol",
    { className: "timeline" },
    results.map((step, i) =>
      h(
        "li",
        { dataset: { stepId: step.id, status: step.status } },
        h(
          "div",
          { className: "card" },
          h("header", {}, h("h3", {}, step.id), h("span", { className: "hint" }, step.type || ""), badge(step.status), when(step.startedAt), h("span", {}, duration(step.durationMs))),
          bar(placed[i], span, step.status),
          stepNote(step),
          step.error ? h("p", { className: "error" }, step.error) : null,
          step.type === "swarm" ? swarm(step) : null,
          kv(step, STEP_FIELDS),
          step.attempts?.length
            ? disclose(`Attempts (${step.attempts.length})`, h("ol", {}, step.attempts.map((a) => h("li", {}, when(a.startedAt), ` ${duration(a.durationMs)} `, a.error || "ok"))))
            : null,
          "input" in step ? disclose("Input", json(step.input, `Input of ${step.id}`)) : null,
          "output" in step ? disclose("Output", json(step.output, `Output of ${step.id}`)) : null,
        ),
      ),
    ),
  );
}

function bar([from, to], span, status) {
  const track = h("div", { className: "track", role: "img", "aria-label": `from ${duration(from)} to ${duration(to)} after the run started` });
  const fill = h("span", { className: "bar", dataset: { status } });
  fill.style.marginLeft = `${(100 * from) / span}%`;
  fill.style.width = `${Math.max(0.5, (100 * (to - from)) / span)}%`;
  track.append(fill);
  return track;
}

function stepNote(step) {
  if (step.status === "skipped" && step.reason) return h("p", { className: "hint" }, `Skipped: ${step.reason}`);
  if ("matched" in step) return h("p", { className: "hint" }, step.matched ? "The condition held." : "The condition did not hold.");
  if (step.status !== "waiting") return null;
  if (step.waitingFor) {
    const conditions = JSON.stringify(step.waitingFor.conditions || {});
    return h("p", { className: "meaning" }, `Waits for an event ${step.waitingFor.eventType}${conditions === "{}" ? "" : ` where ${conditions}`} until `, when(step.waitingFor.timeoutAt), ".");
  }
  if (step.type === "sleep") return h("p", { className: "meaning" }, "Sleeps until ", when(step.nextAttemptAt || step.input?.until), ".");
  if (step.nextAttemptAt) return h("p", { className: "meaning" }, "Next attempt at ", when(step.nextAttemptAt), ".");
  return step.type === "swarm" ? h("p", { className: "meaning" }, "The swarm's members are out.") : null;
}

/** A swarm step: each member as it stands (or as it ended) and the decision. */
function swarm(step) {
  const output = step.output && typeof step.output === "object" ? step.output : {};
  const ended = new Map((output.members || []).map((m) => [m.index, m]));
  const members = (step.members || output.members || []).map((m) => ({ ...ended.get(m.index), ...m }));
  const decided = output.strategy
    ? h("p", {}, `Decided by ${output.strategy}: `, h("strong", {}, output.winner === undefined || output.winner === null ? "no winner" : `winner ${output.winner}`), ` (${output.succeeded ?? "?"} succeeded, quorum ${output.quorum ?? "?"})`)
    : null;
  if (!members.length) return decided;
  return h(
    "div",
    { className: "swarm" },
    decided,
    table({
      caption: `Members of ${step.id}`,
      showCaption: true,
      columns: ["Member", "Agent", "Status", "Attempts", "Duration", "Vote or score", "Error"],
      rows: members.map((m) => [
        { dataset: { member: m.index } },
        [String(m.index), `${m.agentId}${m.action ? ` · ${m.action}` : ""}`, badge(m.status), String(m.attempts ?? "—"), duration(m.durationMs), score(m), m.error || ""],
      ]),
    }),
  );
}

function score(member) {
  if (typeof member.score === "number") return member.score.toFixed(2);
  if (member.vote === undefined) return "—";
  const text = typeof member.vote === "string" ? member.vote : JSON.stringify(member.vote);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
