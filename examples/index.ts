/** Every sample, ready to register: `createRuntime({ store, ...samples })`. */
import { fanOut, square } from "./fan-out.ts";
import { helloParallel, helloSequence, sayHello } from "./hello-cities.ts";
import { humanInteraction } from "./human-interaction.ts";
import { checkStatus, monitor } from "./monitor.ts";

export { fanOut, square, helloParallel, helloSequence, sayHello, humanInteraction, checkStatus, monitor };

export const samples = {
  orchestrators: [helloSequence, helloParallel, humanInteraction, fanOut, monitor],
  activities: [sayHello, square, checkStatus],
};
