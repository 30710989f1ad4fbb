// Evolutions: run the Evolver on an agent's output and read the result: original and
// evolved side by side, their diff, the score of each iteration, why it stopped, and
// what it cost. The API has no route that lists past evolutions, so the list holds
// the evolutions run from this page.
import { post } from "../api.js";
import { diffView } from "../diff.js";
import { announce, disclose, field, formPanel, h, json, kv, parseJson } from "../ui.js";

const done = [];

export async function render(root) {
  const agent = h("input", { name: "agentId", value: "scribe", required: true, autocomplete: "off" });
  const output = h("textarea", { name: "output", rows: 6, required: true }, "Our new product launches next week. It is good. Buy it.");
  const context = h("textarea", { name: "context", rows: 2 });
  const results = h("div", { "aria-live": "polite" });
  const form = formPanel({
    id: "evolve-title",
    title: "Evolve an output",
    fields: [field("Agent id", agent), field("Output (text, or a JSON object)", output), field("Context (optional, text or JSON)", context)],
    button: "Evolve",
    submit: async () => {
      const body = { agentId: agent.value.trim(), output: maybeJson(output.value), context: maybeJson(context.value) || undefined };
      const result = await post("oracle/evolve", body);
      done.unshift(result);
      show(results);
      announce(`Evolved: ${result.stopReason}`);
    },
  });
  root.append(
    h("h1", {}, "Evolutions"),
    h("p", { className: "hint" }, "Evolutions run from this page in this tab, newest first."),
    form,
    results,
  );
  show(results);
}

function maybeJson(text) {
  return text.trim().startsWith("{") ? parseJson(text, "The JSON") : text.trim();
}

function show(region) {
  region.replaceChildren(...done.map(evolution));
}

function evolution(result, index) {
  const log = result.evolutionLog || [];
  return h(
    "article",
    { className: "panel", "aria-label": `Evolution ${done.length - index}` },
    h("h2", {}, `Evolution ${done.length - index}: ${result.stopReason}`),
    kv({ initialScore: result.initialScore, finalScore: result.finalScore, iterations: result.iterations, stopReason: result.stopReason, evolutionId: result.evolutionId, logged: result.logged }),
    h(
      "div",
      { className: "cols" },
      h("section", { "aria-label": "Original" }, h("h3", {}, "Original"), json(result.original, "Original")),
      h("section", { "aria-label": "Evolved" }, h("h3", {}, "Evolved"), json(result.evolved, "Evolved")),
    ),
    h("h3", {}, "Diff"),
    diffView(result.original, result.evolved),
    h("h3", {}, "Scores per iteration"),
    log.length
      ? h(
          "table",
          {},
          h("thead", {}, h("tr", {}, ["Iteration", "Score", "Details"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            log.map((entry, i) => h("tr", {}, h("td", {}, entry.iteration ?? i + 1), h("td", {}, entry.score ?? entry.critique?.score ?? "—"), h("td", {}, disclose("Entry", json(entry, "Log entry"))))),
          ),
        )
      : h("p", { className: "hint" }, "No iteration logged."),
    h("h3", {}, "Model usage"),
    kv(result.usage),
    result.variant ? disclose("Experiment variant", json(result.variant, "Variant")) : null,
  );
}
