// A line diff (longest common subsequence) of two texts; prose is split into sentences
// so a one-paragraph rewrite still shows which sentences changed.
import { h } from "./ui.js";

export function pieces(value) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return text.split(/\n|(?<=[.!?])\s+(?=\S)/).filter((line) => line !== "");
}

/** [["same"|"del"|"ins", line], ...] turning `before` into `after`. */
export function diffLines(before, after) {
  const n = before.length;
  const m = after.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) out.push(["same", before[i++]]), j++;
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push(["del", before[i++]]);
    else out.push(["ins", after[j++]]);
  }
  while (i < n) out.push(["del", before[i++]]);
  while (j < m) out.push(["ins", after[j++]]);
  return out;
}

export function diffView(original, evolved) {
  const tags = { same: "span", del: "del", ins: "ins" };
  const changes = diffLines(pieces(original), pieces(evolved));
  const added = changes.filter(([k]) => k === "ins").length;
  const removed = changes.filter(([k]) => k === "del").length;
  return h(
    "div",
    {},
    h("p", { className: "hint" }, `${added} added, ${removed} removed`),
    h("div", { className: "diff", role: "group", "aria-label": "Differences", tabIndex: 0 }, changes.map(([kind, line]) => h(tags[kind], {}, line))),
  );
}
