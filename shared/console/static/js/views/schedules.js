// Schedules: each task's cron in words, its next five fire times (from the API, which
// computes them as the fires will happen), its fire history, and fire-now / pause / resume.
import { followRun, get, post } from "../api.js";
import { action, badge, h, poll, refresh, table, when } from "../ui.js";
import { workflowName, workflowsById } from "./shared.js";

export async function render(root) {
  const list = h("ul", { className: "cards", "aria-label": "Scheduled tasks" });
  root.append(h("h1", {}, "Schedules"), list);
  const workflows = await workflowsById();
  let shown = [];
  const load = async () => {
    const tasks = await get("scheduler/tasks");
    shown = tasks.map((t) => card(t, workflows, load));
    list.replaceChildren(...(tasks.length ? shown.map((c) => c.item) : [h("li", { className: "hint" }, "No scheduled tasks.")]));
    await Promise.all(shown.map((c) => c.history()));
  };
  await load();
  // the histories, again while shown: a fire's row settles when its handed-off run ends
  return poll(3000, () => Promise.all(shown.map((c) => c.history())));
}

function card(task, workflows, reload) {
  const upcoming = h("div", {}, h("p", { className: "hint" }, "Loading the next fire times…"));
  const history = h("div");
  const titleId = `task-${task.id}`;
  const fireNow = async () => {
    const result = await post(`scheduler/${task.id}/fire`);
    if (result.fire.workflowRunId) {
      const run = await followRun({ id: result.fire.workflowRunId, status: result.fire.runStatus });
      result.fire.runStatus = run.status;
    }
    await showHistory(task, history);
    return result;
  };
  const fire = action("Fire now", fireNow, {
    describe: (r) => `Fire ${r.fire.status}${r.fire.runStatus ? `: run ${r.fire.runStatus}` : ""}${r.fire.reason ? ` (${r.fire.reason})` : ""}`,
  });
  const toggle = task.is_active
    ? action("Pause", () => post(`scheduler/${task.id}/pause`).then(after(reload)), { secondary: true, describe: () => `${task.name} paused` })
    : action("Resume", () => post(`scheduler/${task.id}/resume`).then(after(reload)), { secondary: true, describe: () => `${task.name} resumed` });
  for (const button of [fire, toggle]) button.setAttribute("aria-describedby", titleId);
  const item = h(
    "li",
    { className: "card", dataset: { taskId: task.id } },
    h(
      "header",
      {},
      h("h2", { id: titleId }, task.name),
      badge(task.is_active ? "active" : "paused"),
      h("code", {}, task.cron_expression),
      h("span", { className: "hint" }, `runs ${workflowName(workflows, task.workflow_id)}`),
    ),
    upcoming,
    h("div", { className: "toolbar" }, fire, toggle),
    history,
  );
  showUpcoming(task, upcoming);
  return { item, history: () => showHistory(task, history) };
}

const after = (reload) => (result) => {
  reload();
  return result;
};

async function showUpcoming(task, region) {
  try {
    const next = await get(`scheduler/${task.id}/upcoming`, { count: 5 });
    const local = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: next.timezone });
    region.replaceChildren(
      h("p", { className: "cron-words" }, next.description),
      h("p", { className: "hint" }, next.isActive ? "Next five fire times:" : "Paused; once resumed it fires at:"),
      h(
        "ol",
        { className: "next-fires" },
        next.nextFires.map((at) => h("li", {}, h("time", { dateTime: at }, `${local.format(new Date(at))} (${next.timezone})`), h("span", { className: "hint" }, ` · ${new Date(at).toLocaleString()} here`))),
      ),
    );
  } catch (error) {
    region.replaceChildren(h("p", { className: "error" }, `Next fire times unavailable: ${error.message}`));
  }
}

async function showHistory(task, region) {
  const fires = await get(`scheduler/${task.id}/runs`, { limit: 20 });
  // open once there are fires; after that, as the reader left it
  const shown = region.querySelector("details[data-fires]");
  const open = shown && shown.dataset.fires !== "0" ? shown.open : fires.length > 0;
  refresh(region, JSON.stringify(fires), () => historyTable(task, fires, open));
}

function historyTable(task, fires, open) {
  const count = (test) => fires.filter(test).length;
  const missed = count((f) => f.status === "missed");
  const coalesced = count((f) => /coalesced/.test(f.detail || ""));
  const summary = [`Fire history (${fires.length})`, missed ? `${missed} missed` : "", coalesced ? `${coalesced} coalesced` : ""].filter(Boolean).join(", ");
  return h(
    "details",
    { open, dataset: { fires: fires.length } },
    h("summary", {}, summary),
    fires.length
      ? table({
          caption: `Fires of ${task.name}, newest first; missed and coalesced slots say so in Detail`,
          columns: ["At", "Slot", "Status", "Source", "Run", "Detail"],
          rows: fires.map((f) => [
            { dataset: { status: f.status } },
            [
              when(f.created_at),
              when(f.slot_at),
              badge(f.status),
              f.source,
              f.workflow_run_id ? h("a", { href: `#/runs/${f.workflow_run_id}` }, "Timeline", h("span", { className: "sr-only" }, ` of run ${f.workflow_run_id}`)) : "—",
              f.detail || "",
            ],
          ]),
        })
      : h("p", { className: "hint" }, "Never fired."),
  );
}
