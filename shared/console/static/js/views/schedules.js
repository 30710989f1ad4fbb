// Schedules: each task's cron in words, its next five fire times (from the API, which
// computes them as the fires will happen), its fire history, and fire-now / pause / resume.
import { followRun, get, post } from "../api.js";
import { action, badge, h, when } from "../ui.js";
import { workflowName, workflowsById } from "./shared.js";

export async function render(root) {
  const list = h("ul", { className: "cards", "aria-label": "Scheduled tasks" });
  root.append(h("h1", {}, "Schedules"), list);
  const workflows = await workflowsById();
  const load = async () => {
    const tasks = await get("scheduler/tasks");
    list.replaceChildren(...(tasks.length ? tasks.map((t) => card(t, workflows, load)) : [h("li", { className: "hint" }, "No scheduled tasks.")]));
  };
  await load();
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
  showHistory(task, history);
  return item;
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
  const rows = fires.map((f) =>
    h(
      "tr",
      {},
      h("td", { dataset: { label: "At" } }, when(f.created_at)),
      h("td", { dataset: { label: "Slot" } }, when(f.slot_at)),
      h("td", { dataset: { label: "Status" } }, badge(f.status)),
      h("td", { dataset: { label: "Source" } }, f.source),
      h("td", { dataset: { label: "Run" } }, f.workflow_run_id ? h("a", { href: `#/runs/${f.workflow_run_id}` }, "Timeline", h("span", { className: "sr-only" }, ` of run ${f.workflow_run_id}`)) : "—"),
      h("td", { dataset: { label: "Detail" } }, f.detail || ""),
    ),
  );
  region.replaceChildren(
    h(
      "details",
      { open: fires.length > 0 },
      h("summary", {}, `Fire history (${fires.length})`),
      fires.length
        ? h(
            "table",
            { className: "stack" },
            h("caption", { className: "sr-only" }, `Fires of ${task.name}, newest first; missed and coalesced slots say so in Detail`),
            h("thead", {}, h("tr", {}, ["At", "Slot", "Status", "Source", "Run", "Detail"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, rows),
          )
        : h("p", { className: "hint" }, "Never fired."),
    ),
  );
}
