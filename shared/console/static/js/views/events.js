// Events: a live stream of the event log (polled every second), what each event
// triggered, the runs it started, and why the other triggers of its type did not run.
import { get, post } from "../api.js";
import { action, announce, badge, disclose, field, formPanel, h, json, kv, parseJson, poll, refresh, when } from "../ui.js";
import { workflowName, workflowsById } from "./shared.js";

export async function render(root) {
  const type = h("input", { name: "eventType", value: "console.test", required: true, autocomplete: "off" });
  const payload = h("textarea", { name: "payload", rows: 5, spellcheck: false }, '{\n  "hello": "world"\n}');
  const form = formPanel({
    id: "send-title",
    title: "Send a test event",
    fields: [field("Event type", type, "letters, digits, dots, dashes: e.g. lead.created"), field("Payload (JSON object)", payload)],
    button: "Send event",
    submit: async (outcome) => {
      const body = { eventType: type.value.trim(), payload: parseJson(payload.value, "Payload") };
      const result = await post("events", body);
      outcome.textContent = `Accepted: event ${result.eventId}`;
      announce(`Event ${body.eventType} accepted`);
    },
  });

  const filter = h("input", { type: "search", name: "filter", autocomplete: "off", placeholder: "all types" });
  const live = h("input", { type: "checkbox", checked: true, name: "live" });
  const list = h("ol", { className: "cards", "aria-label": "Events, newest first" });
  const region = h(
    "section",
    { "aria-labelledby": "log-title" },
    h("h2", { id: "log-title" }, "Event log"),
    h(
      "div",
      { className: "toolbar" },
      field("Filter by type", filter),
      h("label", { className: "check" }, live, "Live (every second)"),
    ),
    list,
  );
  root.append(h("h1", {}, "Events"), h("div", { className: "grid" }, form, region));

  let workflows = await workflowsById();
  let triggers = [];
  const tick = async () => {
    if (!live.checked && list.dataset.key) return;
    const query = { eventType: filter.value.trim() || undefined, limit: 50 };
    const [events, found, byId] = await Promise.all([
      get("events/log", query),
      get("events/triggers"),
      workflows.size ? workflows : workflowsById(),
    ]);
    triggers = found;
    workflows = byId;
    refresh(list, JSON.stringify([events, triggers]), () =>
      events.length ? events.map((e) => card(e, triggers, workflows)) : h("li", { className: "hint" }, "No events yet."),
    );
  };
  filter.addEventListener("change", () => {
    list.dataset.key = "";
    tick();
  });
  return poll(1000, tick);
}

function card(event, triggers, workflows) {
  const entries = Array.isArray(event.triggered) ? event.triggered : [];
  const runs = event.runs || [];
  return h(
    "li",
    { className: "card", dataset: { eventId: event.id } },
    h(
      "header",
      {},
      h("h3", {}, event.event_type),
      badge(event.dispatch_status),
      when(event.occurred_at),
      h("span", { className: "hint" }, `depth ${event.depth}`),
    ),
    runs.length
      ? h(
          "ul",
          { "aria-label": "Runs it started" },
          runs.map((run) =>
            h(
              "li",
              {},
              h("a", { href: `#/runs/${run.id}`, dataset: { focus: `run-${run.id}` } }, `Run of ${workflowName(workflows, run.workflow_id)}`),
              " ",
              badge(run.status),
              run.error ? h("span", { className: "error" }, ` ${run.error}`) : null,
            ),
          ),
        )
      : null,
    entries.length ? disclose(`Triggered (${entries.length})`, entries.map((entry) => kv(entry))) : null,
    notRun(event, entries, triggers),
    event.detail ? h("p", {}, event.detail) : null,
    event.publish_error ? h("p", { className: "error" }, event.publish_error) : null,
    disclose("Payload", json(event.event_data, "Payload")),
    replay(event),
  );
}

/** The user's triggers of this type that did not run for it, and why. */
function notRun(event, entries, triggers) {
  if (event.dispatch_status !== "dispatched") {
    return ["pending", "dispatching"].includes(event.dispatch_status)
      ? null
      : h("p", { className: "error" }, `No trigger ran: ${event.dispatch_status}`);
  }
  const ran = new Set(entries.map((e) => e.triggerId));
  const reasons = triggers
    .filter((t) => t.event_type === event.event_type && !ran.has(String(t.id)))
    .filter((t) => !event.dispatched_at || !t.created_at || t.created_at <= event.dispatched_at)
    .map((t) =>
      h("li", {}, `${t.name || "trigger " + String(t.id).slice(0, 8)}: `, t.is_active ? "its conditions did not hold" : "inactive"),
    );
  return reasons.length ? h("div", {}, h("p", { className: "hint" }, "Not run:"), h("ul", {}, reasons)) : null;
}

function replay(event) {
  const button = action(
    "Replay",
    () => post("events", { eventType: event.event_type, payload: event.event_data }),
    { secondary: true, describe: (r) => `Replayed ${event.event_type} as event ${r.eventId}` },
  );
  button.dataset.focus = `replay-${event.id}`;
  button.setAttribute("aria-label", `Replay ${event.event_type} event of ${event.occurred_at}`);
  return button;
}
