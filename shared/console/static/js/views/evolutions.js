// Evolutions: every evolution the user ran (GET /api/evolver/history, paged, by agent),
// running one now, and one evolution whole: original and evolved side by side, their
// diff, the score of each iteration, why it stopped, the settings and the model usage.
import { get, post } from "../api.js";
import { diffView } from "../diff.js";
import { announce, disclose, field, formPanel, h, json, kv, parseJson, refresh, table, when } from "../ui.js";

const AGENT = "scribe_01";

export async function render(root, [evolutionId]) {
  return evolutionId ? detail(root, evolutionId) : history(root);
}

async function history(root) {
  const agent = h("input", { name: "agentId", value: AGENT, required: true, autocomplete: "off" });
  const output = h("textarea", { name: "output", rows: 5, required: true }, "Our new product launches next week. It is good. Buy it.");
  const context = h("textarea", { name: "context", rows: 2 });
  const form = formPanel({
    id: "evolve-title",
    title: "Evolve an output",
    fields: [field("Agent id", agent), field("Output (text, or a JSON object)", output), field("Context (optional, text or JSON)", context)],
    button: "Evolve",
    submit: async (outcome) => {
      const body = { agentId: agent.value.trim(), output: maybeJson(output.value), context: maybeJson(context.value) || undefined };
      const result = await post("oracle/evolve", body);
      announce(`Evolved: ${result.stopReason}`);
      if (result.evolutionId) location.hash = `#/evolutions/${result.evolutionId}`;
      else outcome.textContent = `Not evolved: ${result.stopReason} (nothing was recorded)`;
    },
  });

  const only = h("input", { type: "search", name: "agentFilter", autocomplete: "off", placeholder: "every agent" });
  const list = h("div");
  const pages = [];
  let next = null;
  const newer = h("button", { type: "button", className: "secondary", disabled: true }, "Newer evolutions");
  const older = h("button", { type: "button", className: "secondary", disabled: true }, "Older evolutions");
  const load = async () => {
    const page = await get("evolver/history", { agentId: only.value.trim(), limit: 20, cursor: pages.at(-1) });
    next = page.next_cursor;
    newer.disabled = !pages.length;
    older.disabled = !next;
    refresh(list, JSON.stringify(page.evolutions), () => historyTable(page.evolutions));
  };
  only.addEventListener("change", () => {
    pages.length = 0;
    load();
  });
  newer.addEventListener("click", () => (pages.pop(), load()));
  older.addEventListener("click", () => (next && pages.push(next), load()));
  root.append(
    h("h1", {}, "Evolutions"),
    h(
      "div",
      { className: "grid" },
      form,
      h(
        "section",
        { "aria-labelledby": "history-title" },
        h("h2", { id: "history-title" }, "History"),
        h("div", { className: "toolbar" }, field("Agent", only, "an agent id; empty: every agent")),
        list,
        h("nav", { className: "toolbar", "aria-label": "Pages of evolutions" }, newer, older),
      ),
    ),
  );
  await load();
}

function maybeJson(text) {
  return text.trim().startsWith("{") ? parseJson(text, "The JSON") : text.trim();
}

const score = (value) => (typeof value === "number" ? value.toFixed(2) : "—");

function historyTable(evolutions) {
  if (!evolutions.length) return h("p", { className: "hint" }, "No evolution recorded yet.");
  return table({
    caption: "Evolutions, newest first",
    columns: ["When", "Agent", "Scores", "Iterations", "Stop reason", "Model calls", "Evolved", ""],
    rows: evolutions.map((e) => [
      { dataset: { evolutionId: e.evolutionId || "" } },
      [
        when(e.createdAt),
        e.agentId || "—",
        `${score(e.initialScore)} → ${score(e.finalScore)}`,
        String(e.iterations ?? "—"),
        e.stopReason || "—",
        String(e.usage?.modelCalls ?? "—"),
        h("span", { className: "note" }, e.evolvedPreview || ""),
        e.evolutionId ? h("a", { href: `#/evolutions/${e.evolutionId}`, dataset: { focus: `open-${e.evolutionId}` } }, "Open", h("span", { className: "sr-only" }, ` evolution ${e.evolutionId}`)) : "",
      ],
    ]),
  });
}

async function detail(root, evolutionId) {
  root.append(h("p", {}, h("a", { href: "#/evolutions" }, "← All evolutions")), h("h1", {}, `Evolution ${evolutionId.slice(0, 8)}`));
  const e = await get(`evolver/history/${evolutionId}`);
  const parts = [
    h(
      "div",
      { className: "panel" },
      h("p", { className: "meaning" }, h("strong", {}, `Stopped: ${e.stopReason || "unknown"}`), ` · score ${score(e.initialScore)} → ${score(e.finalScore)} in ${e.iterations ?? "?"} iteration(s) · ${e.outcome || ""}`),
      kv({ agentId: e.agentId, createdAt: when(e.createdAt), source: e.source, evolutionId: e.evolutionId }),
    ),
    h(
      "div",
      { className: "cols" },
      h("section", { "aria-labelledby": "original-title" }, h("h2", { id: "original-title" }, "Original"), json(e.original ?? "", "Original output")),
      h("section", { "aria-labelledby": "evolved-title" }, h("h2", { id: "evolved-title" }, "Evolved"), json(e.evolved ?? "", "Evolved output")),
    ),
    h("h2", {}, "Diff"),
    diffView(e.original ?? "", e.evolved ?? ""),
    h("h2", { id: "scores-title" }, "Scores per iteration"),
    iterations(e.evolutionLog || []),
    h("div", { className: "cols" }, h("section", {}, h("h2", {}, "Model usage"), kv(e.usage)), h("section", {}, h("h2", {}, "Settings"), kv(e.settings))),
    e.variant ? disclose("Experiment variant", json(e.variant, "Variant")) : null,
    disclose(`Evolution log (${(e.evolutionLog || []).length} entries)`, json(e.evolutionLog || [], "Evolution log")),
  ];
  root.append(...parts.filter(Boolean));
}

/** One row per critique: its iteration, score, voice fit, issues and suggestions, and
 * the candidate that regeneration produced for it. */
function iterations(log) {
  const critiques = log.filter((entry) => entry.step === "critique");
  if (!critiques.length) return h("p", { className: "hint" }, "No critique was logged.");
  const candidates = new Map(log.filter((e) => e.step === "regenerate").map((e) => [e.iteration, e.candidate]));
  const others = log.filter((e) => e.step !== "critique" && e.step !== "regenerate");
  const items = (list) => (Array.isArray(list) && list.length ? h("ul", {}, list.map((item) => h("li", {}, String(item)))) : "—");
  const row = (c) => {
    const meter = h("span", { className: "meter", role: "img", "aria-label": `score ${score(c.score)}` }, h("span"));
    if (typeof c.score === "number") meter.firstChild.style.width = `${Math.max(0, Math.min(1, c.score)) * 100}%`;
    const candidate = candidates.get(c.iteration);
    return [
      { dataset: { iteration: c.iteration } },
      [
        c.iteration === 0 ? "0 (original)" : String(c.iteration ?? "—"),
        [meter, ` ${score(c.score)}`],
        score(c.voiceConsistency),
        items(c.issues),
        items(c.suggestions),
        candidate === undefined ? "—" : disclose("Candidate", json(candidate, `Candidate of iteration ${c.iteration}`)),
      ],
    ];
  };
  return h(
    "div",
    {},
    table({
      props: { "aria-labelledby": "scores-title" },
      columns: ["Iteration", "Score", "Voice", "Issues", "Suggestions", "Candidate"],
      rows: critiques.map(row),
    }),
    others.length ? h("ul", { "aria-label": "Other log entries" }, others.map((o) => h("li", {}, `${o.step}: ${o.reason || o.error || o.kind || JSON.stringify(o)}`))) : null,
  );
}
