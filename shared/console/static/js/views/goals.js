// Goals and improvements: the goals (generated ones with their rationale), generating
// them now, and an agent's learned improvements with accept / reject.
import { get, post, queryEnum } from "../api.js";
import { action, announce, badge, field, h, kv, options, when } from "../ui.js";

const IMPROVEMENTS = "/api/improve/improvements/{agentId}";

export async function render(root) {
  const goals = h("div");
  const generate = action("Generate goals now", () => post("goals/auto-generate", { force: false }).then((r) => (loadGoals(goals), r)), {
    describe: (r) => `${(r.createdGoals || []).length} goal(s) created`,
  });
  const agent = h("input", { name: "agentId", value: "scribe_01", required: true, autocomplete: "off" });
  const status = h("select", { name: "status" });
  options(status, await queryEnum(IMPROVEMENTS, "get", "status"));
  const improvements = h("div");
  const form = h(
    "form",
    { className: "toolbar", "aria-label": "Which improvements" },
    field("Agent id", agent),
    field("Status", status),
    h("button", { type: "submit" }, "Show"),
  );
  const show = () => loadImprovements(improvements, agent.value.trim(), status.value);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  const analyze = action("Propose improvements", () => get(`improve/analyze/${encodeURIComponent(agent.value.trim())}`).then((r) => (show(), r)), {
    secondary: true,
    describe: (r) => `${(r.proposals || []).length} proposal(s)${r.note ? `: ${r.note}` : ""}`,
  });
  root.append(
    h("h1", {}, "Goals and improvements"),
    h(
      "div",
      { className: "cols" },
      h("section", { "aria-labelledby": "goals-title" }, h("h2", { id: "goals-title" }, "Goals"), generate, goals),
      h("section", { "aria-labelledby": "impr-title" }, h("h2", { id: "impr-title" }, "Improvements"), form, analyze, improvements),
    ),
  );
  await Promise.all([loadGoals(goals), show()]);
}

async function loadGoals(region) {
  const list = await get("reasoning/goals");
  region.replaceChildren(
    list.length
      ? h(
          "ul",
          { className: "cards" },
          list.map((goal) =>
            h(
              "li",
              { className: "card" },
              h("header", {}, h("h3", {}, goal.title), badge(goal.status), h("span", { className: "hint" }, `priority ${goal.priority}`), when(goal.created_at)),
              goal.description ? h("p", {}, goal.description) : null,
              goal.context?.rationale ? h("p", {}, h("strong", {}, "Rationale: "), goal.context.rationale) : null,
              kv(goal.context, ["rationale"]),
            ),
          ),
        )
      : h("p", { className: "hint" }, "No goals yet."),
  );
}

async function loadImprovements(region, agentId, status) {
  if (!agentId) return;
  try {
    const list = await get(`improve/improvements/${encodeURIComponent(agentId)}`, { status });
    region.replaceChildren(
      list.length ? h("ul", { className: "cards" }, list.map((row) => improvement(row, () => loadImprovements(region, agentId, status)))) : h("p", { className: "hint" }, "No improvements with that status."),
    );
  } catch (error) {
    region.replaceChildren(h("p", { className: "error" }, error.message));
  }
}

function improvement(row, reload) {
  const decide = (verb) =>
    action(verb === "accept" ? "Accept" : "Reject", () => post(`improve/improvements/${row.id}/${verb}`).then((r) => (reload(), r)), {
      secondary: verb === "reject",
      describe: (r) => `Improvement ${r.improvement.status}`,
    });
  const accept = decide("accept");
  const reject = decide("reject");
  accept.disabled = row.status === "active";
  reject.disabled = row.status === "rejected";
  const label = `improvement ${String(row.id).slice(0, 8)}`;
  accept.setAttribute("aria-label", `Accept ${label}`);
  reject.setAttribute("aria-label", `Reject ${label}`);
  return h(
    "li",
    { className: "card" },
    h("header", {}, badge(row.status), h("span", {}, typeof row.confidence === "number" ? `confidence ${row.confidence.toFixed(2)}` : "")),
    h("p", {}, row.improvement),
    (row.evidence || []).length ? h("ul", { "aria-label": "Evidence" }, row.evidence.map((e) => h("li", {}, h("q", {}, e.quote)))) : null,
    h("div", { className: "toolbar" }, accept, reject),
  );
}
