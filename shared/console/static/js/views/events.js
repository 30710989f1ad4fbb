// Events: a live stream of the event log (polled every second), what each event
// triggered, the runs it started, and why the other triggers of its type did not run.
import { get, post } from "../api.js";
import { action, announce, badge, disclose, field, formPanel, h, json, parseJson, poll, refresh, when } from "../ui.js";
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

  const types = h("datalist", { id: "event-types" });
  const filter = h("input", { type: "search", name: "filter", autocomplete: "off", placeholder: "all types", list: "event-types" });
  const live = h("input", { type: "checkbox", checked: true, name: "live" });
  const list = h("ol", { className: "cards", "aria-label": "Events, newest first" });
  const region = h(
    "section",
    { "aria-labelledby": "log-title" },
    h("h2", { id: "log-title" }, "Event log"),
    h(
      "div",
      { className: "toolbar" },
      field("Filter by type", filter, "an exact event type; empty: every type"),
      types,
      h("label", { className: "check" }, live, "Live (every second)"),
    ),
    list,
  );
  root.append(h("h1", {}, "Events"), h("div", { className: "grid" }, form, region));

  let workflows = await workflowsById();
  const tick = async () => {
    if (!live.checked && list.dataset.key) return;
    const query = { eventType: filter.value.trim() || undefined, limit: 50 };
    const [events, triggers] = await Promise.all([get("events/log", query), get("events/triggers")]);
    if (mentioned(events, triggers).some((id) => !workflows.has(id))) workflows = await workflowsById();
    const known = [...new Set([...triggers.map((t) => t.event_type), ...events.map((e) => e.event_type)])].sort();
    refresh(types, known.join(" "), () => known.map((value) => h("option", { value })));
    refresh(list, JSON.stringify([events, triggers, [...workflows.keys()]]), () =>
      events.length ? events.map((e) => card(e, triggers, workflows)) : h("li", { className: "hint" }, "No events yet."),
    );
  };
  filter.addEventListener("change", () => {
    list.dataset.key = "";
    tick();
  });
  return poll(1000, tick);
}

/** The workflow ids the events and triggers name, to tell when a new one needs its name. */
function mentioned(events, triggers) {
  const ids = triggers.map((t) => t.workflow_id);
  for (const event of events) {
    ids.push(...(event.chain || []), ...(event.runs || []).map((r) => r.workflow_id));
    for (const entry of Array.isArray(event.triggered) ? event.triggered : []) if (entry?.workflowId) ids.push(entry.workflowId);
  }
  return ids.filter(Boolean).map(String);
}

function card(event, triggers, workflows) {
  const entries = (Array.isArray(event.triggered) ? event.triggered : []).filter((e) => e && typeof e === "object");
  const runs = new Map((event.runs || []).map((run) => [String(run.id), run]));
  const named = new Map(triggers.map((t) => [String(t.id), t]));
  const chain = (event.chain || []).map((id) => workflowName(workflows, id));
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
    chain.length ? h("p", { className: "hint" }, `Emitted by a run of ${chain.join(" → ")}`) : null,
    entries.length
      ? h("ul", { className: "entries", "aria-label": "What it triggered" }, entries.map((entry) => triggered(entry, runs, named, workflows)))
      : null,
    notRun(event, entries, triggers),
    event.publish_error ? h("p", { className: "error" }, event.publish_error) : null,
    disclose("Payload", json(event.event_data, "Payload")),
    replay(event),
  );
}

function triggerName(trigger, id) {
  return trigger?.name || `trigger ${String(id).slice(0, 8)}`;
}

/** One entry of the event's ``triggered``: a run it started (with the run's status as
 * it is now), a trigger it did not run (a cycle), one that could not start, or the
 * system handler of its type. */
function triggered(entry, runs, named, workflows) {
  const workflow = workflowName(workflows, entry.workflowId);
  if (entry.handler) {
    return h("li", { dataset: { entry: "handler" } }, `System handler of ${entry.handler} `, badge(entry.status), entry.error ? h("span", { className: "error" }, ` ${entry.error}`) : null);
  }
  const who = triggerName(named.get(String(entry.triggerId)), entry.triggerId);
  if (entry.runId) {
    const run = runs.get(String(entry.runId));
    return h(
      "li",
      { dataset: { entry: "run" } },
      h("a", { href: `#/runs/${entry.runId}`, dataset: { focus: `run-${entry.runId}` } }, `Run of ${workflow}`),
      " ",
      badge(run?.status ?? entry.status),
      h("span", { className: "hint" }, ` by ${who}`),
      run?.error ? h("span", { className: "error" }, ` ${run.error}`) : null,
    );
  }
  if (entry.status === "cycle") {
    const chain = (entry.chain || []).map((id) => workflowName(workflows, id)).join(" → ");
    return h("li", { dataset: { entry: "cycle" } }, badge("cycle"), ` ${who} did not run ${workflow}: a run of it led to this event (${chain}); a trigger saved with allowRecursion runs anyway`);
  }
  return h("li", { dataset: { entry: entry.status } }, badge(entry.status), ` ${who} did not start ${workflow}`, entry.error ? `: ${entry.error}` : "");
}

const SETTLED = ["dispatched", "too_deep", "throttled", "rejected"];

/** Why the user's other triggers of this type did not run, and why nothing ran at all
 * for an event that was not dispatched (too deep, throttled, rejected). */
function notRun(event, entries, triggers) {
  if (!SETTLED.includes(event.dispatch_status)) return null;
  if (event.dispatch_status !== "dispatched") {
    return h("p", { className: "error" }, `Not dispatched, no trigger ran (${event.dispatch_status})${event.detail ? `: ${event.detail}` : ""}`);
  }
  const seen = new Set(entries.map((e) => String(e.triggerId)));
  const reasons = triggers
    .filter((t) => t.event_type === event.event_type && !seen.has(String(t.id)))
    .filter((t) => !event.dispatched_at || !t.created_at || t.created_at <= event.dispatched_at)
    .map((t) => h("li", {}, `${triggerName(t, t.id)}: `, t.is_active ? "its conditions did not hold" : "inactive"));
  return h(
    "div",
    {},
    reasons.length ? [h("p", { className: "hint" }, "Not run:"), h("ul", {}, reasons)] : null,
    event.detail ? h("p", { className: "hint" }, event.detail) : null,
  );
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
