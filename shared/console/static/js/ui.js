// Small DOM helpers shared by the views; every value is inserted as text, never as HTML.

export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name in node && !name.includes("-") && name !== "list") node[name] = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

const TONES = {
  ok: ["succeeded", "fired", "dispatched", "active", "completed", "created", "in_sync", "accepted"],
  bad: ["failed", "rejected", "too_deep", "throttled", "missed", "cancelled", "out_of_sync", "error", "timed_out"],
  live: ["running", "dispatching", "pending", "proposed", "in_progress"],
  wait: ["sleeping", "waiting", "queued", "skipped", "paused", "cycle"],
};

/** A status of any name: known ones get a colour, new ones show as they are. */
export function badge(status) {
  const text = String(status ?? "unknown");
  const tone = Object.keys(TONES).find((t) => TONES[t].includes(text)) || "idle";
  return h("span", { className: "badge", dataset: { tone, status: text } }, text);
}

export function when(iso) {
  if (!iso) return h("span", { className: "hint" }, "—");
  const date = new Date(iso);
  return h("time", { dateTime: iso, title: iso }, date.toLocaleString());
}

export function duration(ms) {
  if (ms === undefined || ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function between(start, end) {
  return start && end ? new Date(end) - new Date(start) : null;
}

export function json(value, label) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return h("pre", { tabIndex: 0, "aria-label": label || "JSON" }, text);
}

export function disclose(summary, ...content) {
  return h("details", {}, h("summary", {}, summary), ...content);
}

/** Every field of an object, whatever fields the API adds later. */
export function kv(object, skip = []) {
  const list = h("dl", { className: "kv" });
  for (const [name, value] of Object.entries(object || {})) {
    if (skip.includes(name) || value === undefined) continue;
    const shown =
      value instanceof Node ? value : value !== null && typeof value === "object" ? json(value, name) : String(value ?? "—");
    list.append(h("dt", {}, name), h("dd", {}, shown));
  }
  return list;
}

export function field(label, control, hint) {
  control.id ||= `f-${Math.random().toString(36).slice(2, 9)}`;
  const parts = [h("label", { htmlFor: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { className: "hint", id: hintId }, hint));
  }
  return h("div", { className: "field" }, parts);
}

export function options(select, values, { all } = {}) {
  const keep = select.value;
  select.replaceChildren();
  if (all) select.append(h("option", { value: "" }, all));
  for (const item of values) {
    const [value, text] = Array.isArray(item) ? item : [item, item];
    select.append(h("option", { value }, text));
  }
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

let toastTimer = null;
/** Say what an action did, to everyone (the status region is live). */
export function announce(message, tone = "ok") {
  const region = document.getElementById("status");
  region.dataset.tone = tone;
  region.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (region.textContent = ""), 8000);
}

/** A button that runs an API action, shows its outcome, and cannot be pressed twice. */
export function action(label, run, { secondary, describe } = {}) {
  const button = h("button", { type: "button", className: secondary ? "secondary" : "" }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const result = await run();
      announce(describe ? describe(result) : `${label}: done`);
    } catch (error) {
      announce(`${label} failed: ${error.message}`, "bad");
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** A titled form whose submit runs `submit(outcome)`; a failure is said in its outcome. */
export function formPanel({ id, title, fields, button, submit, role }) {
  const outcome = h("p", { className: "hint", role: "status" });
  const press = h("button", { type: "submit" }, button);
  const form = h("form", { className: "panel", role, "aria-labelledby": id }, h("h2", { id }, title), fields, press, outcome);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    press.disabled = true;
    outcome.textContent = "";
    try {
      await submit(outcome);
    } catch (error) {
      outcome.textContent = `Failed: ${error.message}`;
      announce(`${title} failed: ${error.message}`, "bad");
    } finally {
      press.disabled = false;
    }
  });
  return form;
}

export function parseJson(text, what) {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON (${error.message})`);
  }
}

/** Replace a region's content only when the data changed, keeping focus where it was. */
export function refresh(region, key, build) {
  if (region.dataset.key === key) return;
  const focused = document.activeElement;
  const focusKey = region.contains(focused) ? focused.dataset.focus : undefined;
  region.dataset.key = key;
  region.replaceChildren(...[build()].flat());
  if (focusKey) region.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)?.focus();
}

let loading = 0;
/** The view region is ``aria-busy`` until what it loads first has come (assistive
 * technology waits for it; so do the browser tests). */
export function loads(promise) {
  const view = document.getElementById("view");
  loading += 1;
  view.setAttribute("aria-busy", "true");
  return promise.finally(() => {
    loading -= 1;
    if (!loading) view.setAttribute("aria-busy", "false");
  });
}

/** Poll while the view is shown and the tab visible; stops when the view goes. */
export function poll(every, tick) {
  let busy = false;
  let stopped = false;
  const run = async () => {
    if (busy || stopped || document.hidden) return;
    busy = true;
    try {
      await tick();
    } catch (error) {
      announce(error.message, "bad");
    } finally {
      busy = false;
    }
  };
  loads(run());
  const timer = setInterval(run, every);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** A table that stacks into labelled lines on a narrow screen: each row is
 * `[props, cells]`, one cell a column (a column named "" has no label). */
export function table({ caption, showCaption, columns, rows, props }) {
  const cell = (content, i) => h("td", columns[i] ? { dataset: { label: columns[i] } } : {}, content);
  return h(
    "table",
    { className: "stack", ...props },
    caption ? h("caption", { className: showCaption ? "" : "sr-only" }, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows.map(([rowProps, cells]) => h("tr", rowProps, cells.map(cell)))),
  );
}
