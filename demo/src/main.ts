/**
 * @module main — the page: pick a side (this tab or the Worker), start samples there, and watch
 * and manage its instances and its entities (two views of the left column, each with its route;
 * the right-hand panel shows the open orchestration or entity).
 */
import "./styles.css";
import { describeError, type Backend, type RegisteredFunctions, type Side, type SideFunctions } from "./backend.ts";
import { byId } from "./dom.ts";
import { createEntityDetail } from "./entity-detail.ts";
import { createEntityList } from "./entity-list.ts";
import { entityLabel, setRegisteredEntities } from "./entity-model.ts";
import { createHttpBackend } from "./http-backend.ts";
import { createInstanceDetail } from "./instance-detail.ts";
import { createInstanceList } from "./instance-list.ts";
import { createLocalBackend } from "./local-backend.ts";
import { createNotices } from "./notices.ts";
import { isEntityRoute, readRoute, sameRoute, writeRoute, type Route } from "./route.ts";
import { EntityId, Registry } from "../../src/index.ts";
import { renderSamples } from "./samples-panel.ts";
import { samples } from "../../examples/index.ts";
import { createStartAny } from "./start-any.ts";
import { tabActivities, tabEntities, tabOrchestrators } from "./tab-activities.ts";
import { openTabHost, type TabHost } from "./tab-host.ts";

const notices = createNotices(byId("errors"), byId("infos"));
const KEY_STORAGE = "durable-edge-demo:management-key";
const keyForm = byId<HTMLFormElement>("key-form");
const keyInput = byId<HTMLInputElement>("key-input");
let keyWanted = false;
const sideInfo = byId("side-info");
const detailSection = byId("detail");
const instanceListEl = byId("instance-list");
const entityListEl = byId("entity-list");
const instanceDetailEl = byId("instance-detail");
const entityDetailEl = byId("entity-detail");
const listHeading = byId("instances-h");
const instancesLink = byId<HTMLAnchorElement>("view-instances");
const entitiesLink = byId<HTMLAnchorElement>("view-entities");
let route: Route = readRoute(location.hash);
let shownView: Route["view"] = route.view;
let backend: Backend | null = null;
let unsubscribe: (() => void) | null = null;
let tabHost: TabHost | null = null;
const backends = new Map<Side, Backend>();

const list = createInstanceList(instanceListEl, { onOpen: (id) => open(id, true), notices });
const entityList = createEntityList(entityListEl, { onOpenEntity: (id) => openEntity(id, true), onOpenInstance: (id) => open(id, true), notices });
const detail = createInstanceDetail(instanceDetailEl, {
  notices,
  onOpen: (id) => open(id, false),
  onOpenEntity: (id) => openEntity(id, true),
  onChanged: () => void list.refresh(),
});
const entityDetail = createEntityDetail(entityDetailEl, {
  notices,
  onOpenEntity: (id) => openEntity(id, false),
  onOpenInstance: (id) => open(id, true),
  onChanged: () => void entityList.refresh(),
});
const startAny = createStartAny(renderSamples(byId("sample-cards"), start, signal), start);
/**
 * What the page itself knows each side registers, offered only where the side cannot say (the
 * Worker answers 404 or 501 for `GET {base}/functions`, or cannot be asked): the tab's own list; on
 * the edge the shared samples, as `worker/demo-worker.ts` registers them.
 */
const KNOWN: Record<Side, RegisteredFunctions> = {
  tab: new Registry(tabOrchestrators, tabActivities, tabEntities).registered(),
  edge: new Registry(samples.orchestrators, samples.activities, samples.entities).registered(),
};
/** Counts the asks for a side's functions: only the latest one's answer is shown. */
let functionsAsked = 0;

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="side"]')) {
  radio.checked = radio.value === route.side;
  radio.addEventListener("change", () => {
    if (radio.checked) void show({ side: radio.value === "edge" ? "edge" : "tab", view: route.view, instanceId: null });
  });
}
window.addEventListener("hashchange", () => {
  const next = readRoute(location.hash);
  if (!sameRoute(next, route)) void show(next);
});
void show(route);

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  keyInput.value = "";
  notices.info(key ? "Using the management key for the Worker." : "Forgot the management key.");
  showKeyForm();
  void list.refresh();
  void entityList.refresh();
  void detail.refresh();
  void entityDetail.refresh();
  if (backend) void showFunctions(backend);
});

function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

/** The key form shows on the edge side once the Worker asked for a key (or one is in use). */
function showKeyForm(): void {
  const inUse = storedKey() !== null;
  keyForm.hidden = !(route.side === "edge" && (keyWanted || inUse));
  keyInput.placeholder = inUse ? "a key is in use; empty to forget it" : "";
}

async function backendFor(side: Side): Promise<Backend> {
  const existing = backends.get(side);
  if (existing) return existing;
  let created: Backend;
  if (side === "edge") {
    created = createHttpBackend({
      key: storedKey,
      fallbackFunctions: KNOWN.edge,
      onUnauthorized: () => {
        keyWanted = true;
        showKeyForm();
      },
    });
  } else {
    if (!tabHost) {
      const host = openTabHost();
      tabHost = host;
      // The tab's client, for the browser console and the page's tests (e.g. `durableEdgeDemo.client.timeTravel(id)`).
      (window as unknown as { durableEdgeDemo?: { client: TabHost["client"] } }).durableEdgeDemo = { client: host.client };
      host.onLeaderChange(() => void describeSide());
      host.onError((error) => notices.error("The store in this tab stopped", error));
      // Leaving the page hands the work to another tab at once; coming back from the
      // back/forward cache finds the runtime closed, so start afresh.
      window.addEventListener("pagehide", () => void host.close());
      window.addEventListener("pageshow", (event) => {
        if (event.persisted) location.reload();
      });
    }
    created = createLocalBackend(tabHost, { fallbackFunctions: KNOWN.tab });
  }
  backends.set(side, created);
  return created;
}

async function show(next: Route): Promise<void> {
  const sideChanged = next.side !== route.side || backend === null;
  route = next;
  if (!sideChanged && backend) return apply(backend, false);
  history.replaceState(null, "", writeRoute(route));
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="side"]')) radio.checked = radio.value === route.side;
  document.body.dataset.side = route.side;
  startAny.setNames([], route.side === "tab" ? "Asking this tab's runtime what it registers…" : "Asking the Worker what it registers…", "pending");
  showKeyForm();
  unsubscribe?.();
  unsubscribe = null;
  sideInfo.textContent = route.side === "tab" ? "Opening this tab's store…" : "Connecting to the Worker…";
  let b: Backend;
  try {
    b = await backendFor(route.side);
  } catch (error) {
    sideInfo.textContent = "This tab cannot run orchestrations.";
    notices.error("Could not open the store in this tab", error);
    return;
  }
  if (route !== next) return;
  backend = b;
  list.setBackend(b);
  entityList.setBackend(b);
  apply(b, false);
  void showFunctions(b);
  unsubscribe = b.subscribe(() => {
    if (route.view === "instances") void list.refresh();
    else void entityList.refresh();
    if (isEntityRoute(route.instanceId)) void entityDetail.refresh();
    else void detail.refresh();
    void describeSide();
  });
  await describeSide();
}

/**
 * Shows what the route says on the side already open: the view (instances or entities: its list,
 * heading and link), and in the right-hand panel the open orchestration or entity.
 */
function apply(b: Backend, signalled: boolean): void {
  history.replaceState(null, "", writeRoute(route));
  const entities = route.view === "entities";
  instanceListEl.hidden = entities;
  entityListEl.hidden = !entities;
  listHeading.textContent = entities ? "Entities" : "Instances";
  for (const [link, view] of [[instancesLink, "instances"], [entitiesLink, "entities"]] as const) {
    link.href = writeRoute({ side: route.side, view, instanceId: null });
    if (route.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  entityList.setActive(entities);
  // The instance list is not refreshed while hidden: coming back to it, it catches up.
  if (!entities && shownView === "entities") void list.refresh();
  shownView = route.view;
  const entityOpen = isEntityRoute(route.instanceId);
  const showEntity = entityOpen || (entities && route.instanceId === null);
  instanceDetailEl.hidden = showEntity;
  entityDetailEl.hidden = !showEntity;
  detailSection.setAttribute("aria-label", showEntity ? "Entity" : "Instance");
  list.setSelected(entityOpen ? null : route.instanceId);
  entityList.setSelected(entityOpen ? route.instanceId : null);
  detail.show(b, showEntity ? null : route.instanceId);
  entityDetail.show(b, entityOpen ? route.instanceId : null, signalled);
}

async function describeSide(): Promise<void> {
  if (route.side === "edge") {
    sideInfo.textContent = `On the Worker at ${location.origin}: each instance lives in a Durable Object. The page checks for changes every 2 s.`;
    return;
  }
  const host = tabHost;
  if (!host) return;
  sideInfo.textContent = `In this tab, stored in ${host.storage}. ${
    host.isLeader() ? "This tab runs the orchestrations." : "Another tab runs the orchestrations; this one follows along."
  }${host.persistent ? " Reload or open a second tab: the instances carry on." : ""}`;
}

/**
 * Asks the side what it registers and offers it: every orchestrator in the start form, the
 * entities in the signal form and the entity filter. Where the side cannot say (the backend falls
 * back) or cannot be asked, the page's own copy, and the start form says so.
 */
async function showFunctions(b: Backend): Promise<void> {
  const asked = ++functionsAsked;
  let found: SideFunctions;
  try {
    found = await b.registered();
  } catch (error) {
    const { code, message } = describeError(error);
    found = { ...KNOWN[b.side], fallback: `Could not ask ${b.side === "tab" ? "this tab's runtime" : "the Worker"} what it registers (${code}: ${message}), so the page offers the samples it knows.` };
  }
  if (asked !== functionsAsked || backend !== b) return;
  const names = found.orchestrators.map((o) => o.name);
  const count = `${names.length} orchestration${names.length === 1 ? "" : "s"}`;
  const note =
    found.fallback ??
    (b.side === "tab" ? `This tab's runtime registers ${count} (its client's registered()).` : `The Worker registers ${count} (GET /runtime/webhooks/durabletask/functions).`);
  startAny.setNames(names, note, found.fallback === null ? "side" : "fallback");
  const entityNames = found.entities.map((e) => e.name);
  setRegisteredEntities(entityNames);
  entityDetail.setEntityNames(entityNames);
  entityList.setEntityNames(entityNames);
}

/** Starts an orchestration (as `instanceId` when given) and opens it; resolves whether it started. */
async function start(name: string, input: unknown, instanceId?: string): Promise<boolean> {
  if (!backend) return false;
  try {
    const id = await backend.start(name, input, instanceId);
    notices.info(`Started ${name} as ${id}.`);
    open(id, false);
    void list.refresh();
    return true;
  } catch (error) {
    notices.error(`Could not start ${name}`, error);
    return false;
  }
}

/** The samples' entity buttons: signal, then show the entity (in the entities view) as it changes. */
async function signal(entityName: string, key: string, operation: string, input: unknown): Promise<void> {
  if (!backend) return;
  try {
    await backend.signalEntity(entityName, key, operation, input);
    notices.info(`Signalled ${operation} to ${entityLabel(entityName, key)}.`);
    openEntity(new EntityId(entityName, key).toString(), false, true);
    void entityList.refresh();
  } catch (error) {
    notices.error(`Could not signal ${entityLabel(entityName, key)}`, error);
  }
}

/** Opens an orchestration in the right-hand panel, keeping the view (the entities stay in sight when opened from them). */
function open(instanceId: string, moveFocus: boolean): void {
  if (!backend) return;
  route = { side: route.side, view: route.view, instanceId };
  apply(backend, false);
  reveal(moveFocus ? "detail-h" : null);
}

/** Opens an entity (`@name@key`): the entities view, the entity in the right-hand panel. */
function openEntity(entityInstanceId: string, moveFocus: boolean, signalled = false): void {
  if (!backend) return;
  route = { side: route.side, view: "entities", instanceId: entityInstanceId };
  apply(backend, signalled);
  reveal(moveFocus ? "entity-h" : null);
}

function reveal(focusId: string | null): void {
  if (focusId) byId(focusId).focus();
  else if (detailSection.getBoundingClientRect().top > window.innerHeight) detailSection.scrollIntoView({ block: "start" });
}
