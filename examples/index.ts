/** Every sample, ready to register: `createRuntime({ store, ...samples })`. */
import { fanOut, square } from "./fan-out.ts";
import { helloParallel, helloSequence, sayHello } from "./hello-cities.ts";
import { humanInteraction } from "./human-interaction.ts";
import { checkStatus, monitor } from "./monitor.ts";
import { account, Account, counter, counterAggregation, transferFunds, type CounterOperations, type TransferInput } from "./entities.ts";

export { fanOut, square, helloParallel, helloSequence, sayHello, humanInteraction, checkStatus, monitor };
export { account, Account, counter, counterAggregation, transferFunds, type CounterOperations, type TransferInput };

export const samples = {
  orchestrators: [helloSequence, helloParallel, humanInteraction, fanOut, monitor, counterAggregation, transferFunds],
  activities: [sayHello, square, checkStatus],
  entities: [counter, account],
};
