import { createRuntime } from "../src/index.ts";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { helloParallel, helloSequence, sayHello } from "./hello-cities.ts";

const runtime = createRuntime({
  store: createMemoryStore(),
  orchestrators: [helloSequence, helloParallel],
  activities: [sayHello],
});
runtime.start();

for (const orchestration of [helloSequence, helloParallel]) {
  const id = await runtime.client.startNew(orchestration);
  const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
  console.log(JSON.stringify(status, null, 2));
}
await runtime.stop();
