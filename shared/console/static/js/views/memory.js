// Memory: a recall playground (each result with its similarity and the ranking that
// found it), storing a memory to try it on, and the Digital Soul.
import { bodyEnum, get, post } from "../api.js";
import { announce, field, formPanel, h, json, kv, options } from "../ui.js";

export async function render(root) {
  const [modes, types] = await Promise.all([bodyEnum("RecallMemories", "mode"), bodyEnum("StoreMemory", "type")]);
  const query = h("input", { type: "search", name: "query", required: true, autocomplete: "off" });
  const mode = h("select", { name: "mode" });
  options(mode, modes.length ? modes : [["", "semantic (the only ranking this API offers)"]]);
  const limit = h("input", { type: "number", name: "limit", min: 1, max: 50, value: 10 });
  const results = h("div", { "aria-live": "polite" });
  const search = formPanel({
    id: "recall-title",
    title: "Search memories",
    role: "search",
    fields: h("div", { className: "row" }, field("Query", query), field("Ranking", mode, "semantic, keyword or hybrid where the API offers them"), field("Results", limit)),
    button: "Search",
    submit: async () => {
      const body = { query: query.value, limit: Number(limit.value) || 10, mode: mode.value || undefined };
      const found = await post("memory/recall", body);
      results.replaceChildren(resultList(found.memories || []));
    },
  });

  const kind = h("select", { name: "type" });
  options(kind, types.length ? types : ["episodic", "semantic", "procedural"]);
  const content = h("textarea", { name: "content", rows: 3, required: true });
  const store = formPanel({
    id: "store-title",
    title: "Store a memory",
    fields: [field("Type", kind), field("Content", content)],
    button: "Store",
    submit: async () => {
      const stored = await post("memory/store", { type: kind.value, content: content.value });
      announce(`Memory ${stored.action}`);
      content.value = "";
    },
  });

  const soul = h("section", { className: "panel", "aria-labelledby": "soul-title" }, h("h2", { id: "soul-title" }, "Digital Soul"));
  root.append(h("h1", {}, "Memory"), h("div", { className: "grid" }, h("div", {}, search, store), h("div", {}, h("h2", {}, "Results"), results, soul)));
  const current = await get("soul/retrieve");
  soul.append(
    current.soul
      ? h("div", {}, kv(current.soul, ["semantic_fingerprint", "exemplars"]), h("h3", {}, "Fingerprint"), json(current.soul.semantic_fingerprint, "Fingerprint"), h("h3", {}, "Exemplars"), h("ul", {}, (current.soul.exemplars || []).map((e) => h("li", {}, e))))
      : h("p", { className: "hint" }, "No Digital Soul yet."),
  );
}

function resultList(memories) {
  if (!memories.length) return h("p", { className: "hint" }, "Nothing found.");
  return h(
    "ol",
    { className: "cards", "aria-label": "Memories found, best first" },
    memories.map((m) => {
      const similarity = typeof m.similarity === "number" ? m.similarity : null;
      const meter = h("span", { className: "meter", role: "img", "aria-label": `similarity ${similarity ?? "unknown"}` }, h("span"));
      if (similarity !== null) meter.firstChild.style.width = `${Math.max(0, Math.min(1, similarity)) * 100}%`;
      return h(
        "li",
        { className: "card" },
        h("header", {}, h("strong", {}, m.type), meter, h("span", {}, similarity === null ? "" : similarity.toFixed(3)), h("span", { className: "hint" }, `found by ${foundBy(m)}`)),
        h("p", {}, m.content),
        kv(m, ["content", "type", "similarity", "matchedBy", "scores", "user_id"]),
      );
    }),
  );
}

/** Which rankings found a memory, each with its rank and score ("semantic (#1, 0.258)"). */
function foundBy(memory) {
  const by = [memory.matchedBy ?? "semantic"].flat();
  return by
    .map((name) => {
      const found = memory.scores?.[name];
      if (!found) return name;
      const method = found.method ? `${found.method} ` : "";
      return `${name} (#${found.rank}, ${method}${typeof found.score === "number" ? found.score.toFixed(3) : "?"})`;
    })
    .join(" and ");
}
