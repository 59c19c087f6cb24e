/** Reads and fills the "Any orchestration" start form, shared by the in-tab and edge tests. */
import type { Page } from "playwright-core";
import type { RegisteredFunctions } from "../../src/index.ts";

/** What the start form offers: its suggestions, its list of buttons, and where it says they come from. */
export interface StartFormState {
  /** The name field's suggestions (`#any-names`). */
  suggested: string[];
  /** The "Registered orchestrations" list, one button per name. */
  listed: string[];
  /** "side" (the side's own answer), "fallback" (the page's samples) or "pending". */
  source: string | null;
  note: string | null;
}

export async function startFormState(page: Page): Promise<StartFormState> {
  const card = page.locator(".start-any");
  return {
    suggested: await card.locator("#any-names option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
    listed: await card.locator(".any-list button").allTextContents(),
    source: await card.locator("#any-source").getAttribute("data-source"),
    note: await card.locator("#any-source").textContent(),
  };
}

/** Waits until the form has its list (no longer asking) and returns it. */
export async function settledStartForm(page: Page, timeout = 15_000): Promise<StartFormState> {
  await page.locator('.start-any #any-source:not([data-source="pending"])').waitFor({ timeout });
  return startFormState(page);
}

/** The entity names the signal form and the entity filter suggest. */
export async function suggestedEntities(page: Page): Promise<{ signal: string[]; filter: string[] }> {
  const values = (id: string) => page.locator(`#${id} option`).evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  return { signal: await values("se-names"), filter: await values("ef-name-list") };
}

/** Picks `name` from the form's list (its button fills the field), types the input and the id, and presses Start. */
export async function startPicked(page: Page, name: string, input: string, instanceId = ""): Promise<void> {
  const card = page.locator(".start-any");
  const details = card.locator("details.any-registered");
  if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
  await card.locator(`.any-list button[data-name="${name}"]`).click();
  await page.getByLabel("Input (JSON)").fill(input);
  await page.getByLabel("Instance ID (optional)").fill(instanceId);
  await card.getByRole("button", { name: "Start", exact: true }).click();
}

/** The names of a `registered()` / `GET {base}/functions` answer's orchestrators and entities. */
export function namesOf(functions: RegisteredFunctions): { orchestrators: string[]; entities: string[] } {
  return { orchestrators: functions.orchestrators.map((o) => o.name), entities: functions.entities.map((e) => e.name) };
}
