import { activity, orchestrator, Task } from 'durable-edge'
import { createBrowserRuntime } from 'durable-edge/browser'

// An activity: any async work, with any browser API.
const sayHello = activity('SayHello', async (city: string) => {
  await new Promise((resolve) => setTimeout(resolve, 300))
  return `Hello ${city}!`
})

// An orchestrator: greets each city in parallel, waits a second on a durable timer, and returns
// the greetings. It is stored in IndexedDB, so it survives a reload halfway through.
const helloCities = orchestrator('HelloCities', function* (ctx) {
  const cities = ctx.getInput<string[]>()
  const greetings = yield* Task.all(cities.map((city) => ctx.callActivity(sayHello, city)))
  ctx.setCustomStatus('waiting a second')
  yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 1000)
  return greetings
})

// Every tab calls this; one of them runs the work, all of them see it.
const durable = createBrowserRuntime({
  dbName: 'browser-app',
  orchestrators: [helloCities],
  activities: [sayHello],
})

document.querySelector<HTMLDivElement>('#app')!.innerHTML = `
  <h1>Durable Edge in the tab</h1>
  <button id="start" type="button">Start HelloCities</button>
  <p>Instance <code id="instance">–</code>: <strong id="status">–</strong></p>
  <pre id="output"></pre>
`
const instanceEl = document.querySelector<HTMLElement>('#instance')!
const statusEl = document.querySelector<HTMLElement>('#status')!
const outputEl = document.querySelector<HTMLPreElement>('#output')!

let current = localStorage.getItem('instanceId')

/** Shows the instance's status; false if there is no such instance. */
async function show(instanceId: string) {
  const status = await durable.client.getStatus(instanceId)
  if (!status) return false
  instanceEl.textContent = status.instanceId
  statusEl.textContent = status.runtimeStatus
  outputEl.textContent = JSON.stringify(status.output ?? status.customStatus)
  return true
}

async function start() {
  current = await durable.client.startNew(helloCities, { input: ['Tokyo', 'Seattle', 'London'] })
  localStorage.setItem('instanceId', current)
  await show(current)
}

// Live, whichever tab runs it.
durable.onChange((row) => {
  if (row.instanceId === current) void show(current)
})
document.querySelector<HTMLButtonElement>('#start')!.addEventListener('click', () => void start())

// After a reload, show the last instance (it went on running, or resumes now); else start one.
if (!current || !(await show(current))) await start()
