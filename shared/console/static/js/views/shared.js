// What several views need: the user's workflows by id, for names and pickers.
import { get } from "../api.js";

export async function workflowsById() {
  const list = await get("workflows");
  return new Map(list.map((w) => [String(w.id), w]));
}

export function workflowName(byId, id) {
  return byId.get(String(id))?.name || String(id).slice(0, 8);
}
