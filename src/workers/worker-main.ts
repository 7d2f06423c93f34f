/**
 * Entry of a scheduler worker thread: load the node's modules, build the scheduler over the
 * shared rings, expose the control API, and say READY.
 *
 * A pending Atomics.waitAsync does not keep a worker alive; the control port (comlink's
 * listener on parentPort) does, until the main thread terminates the worker.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as Comlink from 'comlink'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
import { BehaviourRegistry } from '../process/behaviour-registry.ts'
import { Scheduler } from '../scheduler/scheduler.ts'
import { watchStrayPromises } from '../scheduler/stray-promises.ts'
import { controlViews } from '../mailbox/layout.ts'
import { SchedulerControl } from './thread-control.ts'
import { kSkeinThread, NODE_START_IN_WORKER, READY, type NodeStartInWorker, type SkeinThreadMark, type WorkerInit } from './protocol.ts'
import { registerTsx } from './tsx-register.ts'

const init = workerData as WorkerInit
if (parentPort === null) throw new Error('worker-main.ts must run in a worker thread')
const port = parentPort

// A module in `modules` that starts the node when imported (the program's own file, listed so its
// actors run on every thread) would start a node per thread, each importing it again. Node.start
// finds this mark and rejects; while the modules load, the main thread is told at once, so its
// start fails even when the module swallows the rejection or exits the thread on it.
const mark: SkeinThreadMark & { loading: string | undefined } = {
  index: init.index,
  loading: undefined,
  nodeStartCalled() {
    if (this.loading === undefined) return
    port.postMessage({ type: NODE_START_IN_WORKER, module: this.loading } satisfies NodeStartInWorker)
  },
}
;(globalThis as Record<symbol, unknown>)[kSkeinThread] = mark

// Under tsx with compiled Skein, tsx goes on only now: Skein has loaded without its hooks, and
// only `modules` (and what they import) load through them.
if (init.tsx !== undefined) await registerTsx(init.tsx)

// A module that fails to load rejects ERR_MODULE_LOAD_FAILED (naming it and this thread); the
// top-level await throws it, the thread ends, and ThreadHost.start rejects with it.
const registry = new BehaviourRegistry()
for (const url of init.modules) {
  mark.loading = url
  await registry.load(url, init.index)
}
mark.loading = undefined

const scheduler = new Scheduler({
  index: init.index,
  totalThreads: init.totalThreads,
  node: init.node,
  creation: init.creation,
  generation: init.generation,
  control: controlViews(init.control, init.totalThreads),
  names: init.names,
  outRings: init.outRings,
  inRings: init.inRings,
  batch: init.batch,
  turnBudget: init.turnBudget,
  turnSliceMs: init.turnSliceMs,
  spinMicros: init.spinMicros,
  lightSleepMs: init.lightSleepMs,
  checkSends: init.checkSends,
  env: init.env,
}, registry)

// A crash ends only the process that crashed: a stray rejection ends the process that made it;
// one no process made, and a throw from a timer or listener, are reported and the thread goes on.
watchStrayPromises((reason) => scheduler.reportStray(reason, 'unhandled rejection'))
process.on('uncaughtException', (error) => scheduler.reportStray(error, 'uncaught exception'))

Comlink.expose(new SchedulerControl(scheduler), nodeEndpoint(parentPort))
scheduler.loop.kick()
parentPort.postMessage(READY)
