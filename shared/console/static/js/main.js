// Sign-in, navigation and the view router (#/events, #/runs/<id>, ...).
import { call, session, tokenUser } from "./api.js";
import { announce, h, loads } from "./ui.js";
import * as events from "./views/events.js";
import * as runs from "./views/runs.js";
import * as schedules from "./views/schedules.js";
import * as evolutions from "./views/evolutions.js";
import * as memory from "./views/memory.js";
import * as goals from "./views/goals.js";

const VIEWS = { events, runs, schedules, evolutions, memory, goals };
const $ = (id) => document.getElementById(id);
let stopView = null;

function takeTokenFromLink() {
  // `segp serve` prints /console/#token=...: the fragment never leaves the browser
  const match = location.hash.match(/^#token=([^&]+)/);
  if (!match) return;
  session.set(decodeURIComponent(match[1]));
  history.replaceState(null, "", `${location.pathname}${location.search}#/events`);
}

function showSignIn(message) {
  stopView?.();
  stopView = null;
  $("view").replaceChildren();
  $("nav").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  $("token").focus();
}

async function signIn(token) {
  try {
    await call("GET", "workflows", { token });
  } catch (error) {
    return error.message;
  }
  session.set(token);
  return null;
}

async function route() {
  if (!session.token()) return showSignIn();
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("who").hidden = false;
  $("who-user").textContent = `Signed in as ${tokenUser(session.token())}`;
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const view = VIEWS[name] ? name : "events";
  for (const link of $("nav").querySelectorAll("a")) {
    if (link.hash === `#/${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  stopView?.();
  const root = $("view");
  root.replaceChildren();
  root.dataset.view = view;
  try {
    stopView = (await loads(VIEWS[view].render(root, rest.map(decodeURIComponent)))) || null;
  } catch (error) {
    if (error.status === 401) return; // signed out already (session.onUnauthorized)
    if (!root.querySelector("h1")) root.append(h("h1", {}, view));
    root.append(h("p", { className: "error", role: "alert" }, `This view could not load: ${error.message}`));
  }
  document.title = `${root.querySelector("h1")?.textContent || view} · SEGP console`;
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  const problem = await signIn(token);
  if (problem) return showSignIn(`That token was refused: ${problem}`);
  $("token").value = "";
  if (location.hash === "#/events") route();
  else location.hash = "#/events";
  $("main").focus();
});
$("sign-out").addEventListener("click", () => {
  session.clear();
  showSignIn();
});
session.onUnauthorized = (error) => {
  session.clear();
  showSignIn(`Signed out: ${error.message}`);
  announce("The token was refused; sign in again", "bad");
};
window.addEventListener("hashchange", () => {
  route();
  $("main").focus();
});
// the skip link moves focus without changing the route
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  $("main").focus();
});
takeTokenFromLink();
route();
