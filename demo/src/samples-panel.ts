/**
 * @module samples-panel — the buttons that start the samples (shared by every host): the
 * tutorial's Hello cities in sequence and in parallel, a fan-out of N, an approval raced against a
 * timeout, and a monitor; the entity samples: a Counter to signal, the aggregator (many signals,
 * one read), and money moved between two Accounts in a critical section; in the tab, a lock held
 * until released, so a transfer waits behind it.
 */
import { h, replace } from "./dom.ts";

export type StartSample = (name: string, input: unknown) => Promise<unknown>;
/** Signals an entity an operation (`input` undefined: none) and shows it. */
export type SignalSample = (entityName: string, key: string, operation: string, input: unknown) => Promise<void>;

const pair = (label: HTMLElement, input: HTMLElement) => h("span", { class: "pair" }, label, input);

/** Renders the sample cards; returns the slot for the "any orchestration" card (`start-any.ts`). */
export function renderSamples(container: HTMLElement, start: StartSample, signal: SignalSample): HTMLElement {
  const busy = async (form: HTMLFormElement, run: () => Promise<unknown>) => {
    const buttons = [...form.querySelectorAll("button")];
    for (const b of buttons) b.disabled = true;
    try {
      await run();
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  };
  const number = (form: HTMLFormElement, name: string) => Number((form.elements.namedItem(name) as HTMLInputElement).value);
  const text = (form: HTMLFormElement, name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();

  const hello = h("form", { class: "card", "aria-labelledby": "s-hello" },
    h("h3", { id: "s-hello" }, "Hello cities"),
    h("p", {}, "The tutorial: say hello to Tokyo, Seattle and London, one after another or all at once."),
    h("div", { class: "row" },
      h("button", { type: "submit", name: "mode", value: "OrchestratorFunction" }, "Start in sequence"),
      h("button", { type: "submit", name: "mode", value: "OrchestratorFunction_Parallel" }, "Start in parallel")));
  hello.addEventListener("submit", (event) => {
    event.preventDefault();
    const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
    void busy(hello, () => start(submitter?.value ?? "OrchestratorFunction", null));
  });

  const fan = h("form", { class: "card", "aria-labelledby": "s-fan" },
    h("h3", { id: "s-fan" }, "Fan-out / fan-in"),
    h("p", {}, "Square 1…N in parallel and add the squares up. Watch the progress in the instance panel."),
    h("div", { class: "row" },
      pair(h("label", { for: "fan-count" }, "N"),
        h("input", { id: "fan-count", name: "count", type: "number", min: 1, max: 500, value: 20, required: true, inputmode: "numeric" })),
      h("button", { type: "submit" }, "Start fan-out")));
  fan.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(fan, () => start("FanOutFanIn", { count: number(fan, "count") }));
  });

  const human = h("form", { class: "card", "aria-labelledby": "s-human" },
    h("h3", { id: "s-human" }, "Human interaction"),
    h("p", {}, "Waits for your approval, raced against a timeout. Approve it in the instance panel before the countdown ends."),
    h("div", { class: "row" },
      pair(h("label", { for: "human-timeout" }, "Timeout (s)"),
        h("input", { id: "human-timeout", name: "timeoutSeconds", type: "number", min: 5, max: 86400, value: 120, required: true, inputmode: "numeric" })),
      h("button", { type: "submit" }, "Ask for approval")));
  human.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(human, () => start("HumanInteraction", { timeoutSeconds: number(human, "timeoutSeconds") }));
  });

  const monitor = h("form", { class: "card", "aria-labelledby": "s-monitor" },
    h("h3", { id: "s-monitor" }, "Monitor"),
    h("p", {}, "Checks on a durable timer, then continues as new, so its history stays short."),
    h("div", { class: "row" },
      pair(h("label", { for: "monitor-interval" }, "Every (s)"),
        h("input", { id: "monitor-interval", name: "intervalSeconds", type: "number", min: 1, max: 3600, value: 3, required: true, inputmode: "numeric" })),
      pair(h("label", { for: "monitor-checks" }, "Checks"),
        h("input", { id: "monitor-checks", name: "checksLeft", type: "number", min: 1, max: 100, value: 4, required: true, inputmode: "numeric" })),
      h("button", { type: "submit" }, "Start monitor")));
  monitor.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(monitor, () => start("Monitor", { intervalSeconds: number(monitor, "intervalSeconds"), checksLeft: number(monitor, "checksLeft") }));
  });

  const flaky = h("form", { class: "card tab-only", "aria-labelledby": "s-flaky" },
    h("h3", { id: "s-flaky" }, "Retries and rewind"),
    h("p", {}, "A step that fails on purpose, retried every second. Out of attempts, the instance fails: rewind it to run the step again. Only in this tab."),
    h("div", { class: "row" },
      pair(h("label", { for: "flaky-failures" }, "Failures"),
        h("input", { id: "flaky-failures", name: "failures", type: "number", min: 0, max: 10, value: 2, required: true, inputmode: "numeric" })),
      pair(h("label", { for: "flaky-attempts" }, "Attempts"),
        h("input", { id: "flaky-attempts", name: "maxAttempts", type: "number", min: 1, max: 10, value: 3, required: true, inputmode: "numeric" })),
      h("button", { type: "submit" }, "Start flaky step")));
  flaky.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(flaky, () => start("RetryDemo", { failures: number(flaky, "failures"), maxAttempts: number(flaky, "maxAttempts") }));
  });

  const parent = h("form", { class: "card tab-only", "aria-labelledby": "s-parent" },
    h("h3", { id: "s-parent" }, "Parent and children"),
    h("p", {}, "Runs the tutorial as sub-orchestrations, one after another: follow the links between the parent and each child. Only in this tab."),
    h("div", { class: "row" },
      pair(h("label", { for: "parent-children" }, "Children"),
        h("input", { id: "parent-children", name: "children", type: "number", min: 1, max: 5, value: 2, required: true, inputmode: "numeric" })),
      h("button", { type: "submit" }, "Start parent")));
  parent.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(parent, () => start("ParentOfChildren", { children: number(parent, "children") }));
  });

  const keyField = (id: string, name: string, label: string, value: string) =>
    pair(h("label", { for: id }, label), h("input", { id, name, type: "text", value, required: true, autocomplete: "off", spellcheck: "false", class: "key-input" }));

  const counter = h("form", { class: "card", "aria-labelledby": "s-counter" },
    h("h3", { id: "s-counter" }, "Counter (entity)"),
    h("p", {}, "A durable entity: signal add or reset and watch its state change in the Entities view."),
    h("div", { class: "row" },
      keyField("counter-key", "key", "Key", "c1"),
      pair(h("label", { for: "counter-amount" }, "Amount"),
        h("input", { id: "counter-amount", name: "amount", type: "number", min: -1000000, max: 1000000, value: 1, required: true, inputmode: "numeric" }))),
    h("div", { class: "row" },
      h("button", { type: "submit", name: "op", value: "add" }, "Signal add"),
      h("button", { type: "submit", name: "op", value: "reset", class: "secondary" }, "Signal reset")));
  counter.addEventListener("submit", (event) => {
    event.preventDefault();
    const op = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value === "reset" ? "reset" : "add";
    void busy(counter, () => signal("Counter", text(counter, "key"), op, op === "add" ? number(counter, "amount") : undefined));
  });

  const aggregate = h("form", { class: "card", "aria-labelledby": "s-aggregate" },
    h("h3", { id: "s-aggregate" }, "Counter aggregation"),
    h("p", {}, "An orchestration signals a Counter N times (add 1), then calls get: the answer counts every signal."),
    h("div", { class: "row" },
      keyField("aggregate-key", "key", "Key", "aggregate"),
      pair(h("label", { for: "aggregate-signals" }, "Signals"),
        h("input", { id: "aggregate-signals", name: "signals", type: "number", min: 1, max: 200, value: 10, required: true, inputmode: "numeric" })),
      h("button", { type: "submit" }, "Start aggregation")));
  aggregate.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(aggregate, () => start("CounterAggregation", { key: text(aggregate, "key"), signals: number(aggregate, "signals") }));
  });

  const bank = h("form", { class: "card", "aria-labelledby": "s-bank" },
    h("h3", { id: "s-bank" }, "Transfer funds"),
    h("p", {}, "Moves money between two Account entities inside a critical section (both locked), so their total never changes. Fund the source first."),
    h("div", { class: "row" },
      keyField("bank-from", "from", "From", "alice"),
      keyField("bank-to", "to", "To", "bob"),
      pair(h("label", { for: "bank-amount" }, "Amount"),
        h("input", { id: "bank-amount", name: "amount", type: "number", min: 1, max: 1000000, value: 30, required: true, inputmode: "numeric" }))),
    h("div", { class: "row" },
      h("button", { type: "submit", name: "action", value: "deposit", class: "secondary" }, "Deposit into From"),
      h("button", { type: "submit", name: "action", value: "transfer" }, "Start transfer")));
  bank.addEventListener("submit", (event) => {
    event.preventDefault();
    const deposit = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value === "deposit";
    void busy(bank, () => (deposit ? signal("Account", text(bank, "from"), "deposit", number(bank, "amount")) : start("TransferFunds", { from: text(bank, "from"), to: text(bank, "to"), amount: number(bank, "amount") })));
  });

  const hold = h("form", { class: "card tab-only", "aria-labelledby": "s-hold" },
    h("h3", { id: "s-hold" }, "Hold a lock"),
    h("p", {}, "Locks Accounts until you press Release in its panel (or 5 minutes pass): a transfer touching them waits, and the Entities view shows who holds what. Only in this tab."),
    h("div", { class: "row" },
      pair(h("label", { for: "hold-accounts" }, "Accounts"),
        h("input", { id: "hold-accounts", name: "accounts", type: "text", value: "bob", required: true, autocomplete: "off", spellcheck: "false", "aria-describedby": "hold-accounts-hint", class: "key-input" })),
      h("button", { type: "submit" }, "Hold the lock")),
    h("p", { id: "hold-accounts-hint", class: "hint" }, "Keys, separated by commas."));
  hold.addEventListener("submit", (event) => {
    event.preventDefault();
    const accounts = text(hold, "accounts").split(",").map((k) => k.trim()).filter(Boolean);
    void busy(hold, () => start("HoldAccounts", { accounts }));
  });

  const any = h("div", { class: "start-any-slot" });
  replace(container, h("div", { class: "cards" }, hello, fan, human, monitor, flaky, parent, counter, aggregate, bank, hold, any));
  return any;
}
