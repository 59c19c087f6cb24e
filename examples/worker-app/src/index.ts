import { activity, orchestrator, Task } from "durable-edge";
import { createDurableWorker } from "durable-edge/worker";

// The tutorial: an activity that says hello, and an orchestrator that calls it for three cities.
const sayHello = activity("OrchestratorFunction_Hello", (city: string) => `Hello ${city}!`);

const helloCities = orchestrator("OrchestratorFunction", function* (ctx) {
  const outputs: string[] = [];
  outputs.push(yield* ctx.callActivity(sayHello, "Tokyo"));
  outputs.push(yield* ctx.callActivity(sayHello, "Seattle"));
  outputs.push(yield* ctx.callActivity(sayHello, "London"));
  return outputs; // ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
});

// An order: reserve the items in parallel; orders over 100 wait for an "Approval" event (or give up
// after a day); then charge and ship.
export interface Order {
  id: string;
  items: string[];
  total: number;
}

const reserve = activity("Reserve", (item: string) => `${item} reserved`);
const charge = activity("Charge", (order: Order) => `charged ${order.total} for ${order.id}`);
const ship = activity("Ship", (order: Order) => `${order.id} shipped`);

const processOrder = orchestrator("ProcessOrder", function* (ctx) {
  const order = ctx.getInput<Order>();
  const reserved = yield* Task.all(order.items.map((item) => ctx.callActivity(reserve, item)));
  if (order.total > 100) {
    ctx.setCustomStatus("waiting for approval");
    const approval = ctx.waitForExternalEvent("Approval");
    const timeout = ctx.createTimer(ctx.currentUtcDateTime.getTime() + 24 * 3600_000);
    if ((yield* Task.any([approval, timeout])) === timeout) return { reserved, approved: false };
    timeout.cancel();
  }
  const receipt = yield* ctx.callActivity(charge, order);
  const shipped = yield* ctx.callActivity(ship, order);
  return { reserved, approved: true, receipt, shipped };
});

const edge = createDurableWorker({
  orchestrators: [helloCities, processOrder],
  activities: [sayHello, reserve, charge, ship],
  // GET|POST /api/OrchestratorFunction_HttpStart, as in the tutorial; and
  // POST /api/orchestrators/{name} (body: the input) for any orchestrator.
  starters: { fixed: { OrchestratorFunction_HttpStart: "OrchestratorFunction" } },
});

export const { InstanceObject, IndexShard, ActivityRunner } = edge;
export default edge;
