// Durable Edge in plain Node: the tutorial's orchestration and an order flow with a retry and a
// timer, on the in-memory store. `node app.mjs` prints both results and exits.
import { activity, createRuntime, orchestrator, RetryOptions, Task } from "durable-edge";
import { createMemoryStore } from "durable-edge/adapters/memory";

// The tutorial: say hello to three cities, one after the other.
const sayHello = activity("SayHello", (city) => `Hello ${city}!`);

const helloCities = orchestrator("HelloCities", function* (ctx) {
  const outputs = [];
  outputs.push(yield* ctx.callActivity(sayHello, "Tokyo"));
  outputs.push(yield* ctx.callActivity(sayHello, "Seattle"));
  outputs.push(yield* ctx.callActivity(sayHello, "London"));
  return outputs;
});

// An order: reserve every item at once, charge the card (the payment service fails twice, so the
// charge is retried on durable timers), wait a moment before shipping.
let chargeAttempts = 0;
const reserve = activity("Reserve", (item) => `${item} reserved`);
const charge = activity("Charge", (order) => {
  chargeAttempts++;
  if (chargeAttempts < 3) throw new Error(`payment service unavailable (attempt ${chargeAttempts})`);
  return `charged ${order.total} for ${order.id}`;
});
const ship = activity("Ship", (orderId) => `${orderId} shipped`);

const processOrder = orchestrator("ProcessOrder", function* (ctx) {
  const order = ctx.getInput();
  const reserved = yield* Task.all(order.items.map((item) => ctx.callActivity(reserve, item)));

  const retry = new RetryOptions(100, 5); // first retry after 100 ms, at most 5 attempts
  retry.backoffCoefficient = 2;
  const receipt = yield* ctx.callActivityWithRetry(charge, retry, order);

  ctx.setCustomStatus("waiting to ship");
  yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 200); // a durable timer
  const shipped = yield* ctx.callActivity(ship, order.id);
  return { reserved, receipt, shipped };
});

const runtime = createRuntime({
  store: createMemoryStore(),
  orchestrators: [helloCities, processOrder],
  activities: [sayHello, reserve, charge, ship],
});
runtime.start();

try {
  const helloId = await runtime.client.startNew(helloCities);
  const hello = await runtime.client.waitForCompletion(helloId, { timeoutMs: 10_000 });
  console.log(hello.name, hello.runtimeStatus, JSON.stringify(hello.output));

  const orderId = await runtime.client.startNew(processOrder, {
    input: { id: "order-1", items: ["book", "lamp"], total: 42 },
  });
  const order = await runtime.client.waitForCompletion(orderId, { timeoutMs: 10_000 });
  console.log(order.name, order.runtimeStatus, JSON.stringify(order.output));

  if (hello.runtimeStatus !== "Completed" || order.runtimeStatus !== "Completed") process.exitCode = 1;
} finally {
  await runtime.stop();
}
