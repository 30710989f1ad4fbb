// The console's only way to the bundle: the public /api routes, with the user's token.
const KEY = "segp.console.token";
// /console/ -> /api/: the API sits beside the console under whatever mount serves both
const BASE = new URL("../api/", document.baseURI);

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const session = {
  token: () => sessionStorage.getItem(KEY),
  set: (token) => sessionStorage.setItem(KEY, token.trim()),
  clear: () => sessionStorage.removeItem(KEY),
  onUnauthorized: () => {},
};

/** The token's user, for display only (the server decides who it is). */
export function tokenUser(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part));
    return claims.sub || claims.id || "?";
  } catch {
    return "?";
  }
}

export async function call(method, path, { body, query, token } = {}) {
  const url = new URL(path, BASE);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Authorization: `Bearer ${token || session.token() || ""}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, "the server cannot be reached");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) {
    const message = (data && data.error) || `${response.status} ${response.statusText}`;
    const error = new ApiError(response.status, message, data);
    if (response.status === 401 && !token) session.onUnauthorized(error);
    throw error;
  }
  return data;
}

export const get = (path, query) => call("GET", path, { query });
export const post = (path, body, query) => call("POST", path, { body, query });

const MOVING = new Set(["queued", "running"]);
/** The run once it stops moving on its own (ended, sleeping or waiting), or as it is
 * after `seconds`: a started run is answered 202 while it is queued or running in its
 * own execution, so the console follows it instead of showing the first answer. */
export async function followRun(run, seconds = 25) {
  const deadline = Date.now() + seconds * 1000;
  let current = run;
  while (MOVING.has(current.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    current = await get(`workflow/run/${current.id}`);
  }
  return current;
}

let documentPromise = null;
/** The API's own OpenAPI document: enums the console offers come from it, so a value the
 * API learns shows up here without a change to the console. */
export function openapi() {
  documentPromise ??= call("GET", "openapi.json").catch(() => ({ paths: {} }));
  return documentPromise;
}

function enumOf(schema = {}) {
  const values = schema.enum || (schema.anyOf || []).flatMap((s) => s.enum || []);
  return values.filter((v) => v !== null);
}

export async function queryEnum(path, method, name) {
  const doc = await openapi();
  const params = doc.paths?.[path]?.[method]?.parameters || [];
  return enumOf(params.find((p) => p.name === name)?.schema);
}

/** The values a request body's field takes, or [] when the API has no such field. */
export async function bodyEnum(model, name) {
  const doc = await openapi();
  return enumOf(doc.components?.schemas?.[model]?.properties?.[name]);
}
