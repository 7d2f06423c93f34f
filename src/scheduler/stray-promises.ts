/**
 * Stray promises: a rejection nobody handles, from a promise a process started and did not
 * return (`void fetch(...)`, an async helper called without await). OTP's rule holds: it ends
 * the process that made it (reason: what it rejected with), its links and monitors hear of it,
 * and nothing else does. Without this, Node ends the worker thread with every process on it, or,
 * on the main thread, the whole OS process.
 *
 * Who made a promise: V8's promise hooks (not async_hooks, which cost far more) record, at its
 * creation, the process whose code is running:
 *
 *   runner, spawner, terminate ──enter(p)──▶ callback runs ──leave──▶
 *   onInit(promise, parent)   owner = the process running now, else the parent promise's owner
 *   onBefore(promise)         a continuation of the promise runs: its owner is "running" again
 *   onAfter(promise)          back to what ran before
 *   'unhandledRejection'      the owner, if alive, crashes (its crashStray); no owner: the
 *                             installer's handler decides (a report on a worker thread; Node's
 *                             own behaviour on the main thread, see node/stray-main.ts)
 *
 * What cannot be attributed: an error thrown by a timer, an event listener or a queueMicrotask
 * callback a process set up (they are not promises). Those are the thread's, not a process's.
 * The hooks cost a call per promise created and per continuation run on the thread (about
 * 0.06 µs per await here) and nothing for a synchronous callback: the runner only stores the
 * running process in a variable.
 */
import { promiseHooks } from 'node:v8'
import type { Proc } from '../process/proc.ts'

/** The process whose code runs now (null: none, or code outside processes). */
let running: Proc | null = null
/**
 * A promise's owner, as a property of the promise: a WeakMap entry per promise costs several
 * times more (ephemeron tables in every GC; the Server call bench ran at 0.3x with one).
 */
const kOwner: unique symbol = Symbol('skein.owner')
type Owned = { [kOwner]?: Proc }
/** What onBefore replaced, restored by onAfter (continuations may nest). */
const saved: (Proc | null)[] = []
/** Installers' handlers for rejections no process owns; the latest one decides. */
const handlers: ((reason: unknown, promise: Promise<unknown>) => void)[] = []
let stopHooks: (() => void) | null = null

/** `p`'s code runs from now on; returns what ran before, for leave(). */
export function enter(p: Proc): Proc | null {
  const before = running
  running = p
  return before
}

/** Back to what ran before enter(). */
export function leave(before: Proc | null): void {
  running = before
}

const onInit = (promise: Promise<unknown>, parent: Promise<unknown> | undefined): void => {
  const owner = running ?? (parent === undefined ? undefined : (parent as Owned)[kOwner])
  if (owner !== undefined) (promise as Owned)[kOwner] = owner
}

const onBefore = (promise: Promise<unknown>): void => {
  saved.push(running)
  running = (promise as Owned)[kOwner] ?? null
}

const onAfter = (): void => {
  running = saved.pop() ?? null
}

const onRejection = (reason: unknown, promise: Promise<unknown>): void => {
  const owner = (promise as Owned)[kOwner]
  if (owner !== undefined) {
    // Every process record is its context (context.ts), which can crash it.
    ;(owner as Proc & { crashStray(reason: unknown): void }).crashStray(reason)
    return
  }
  handlers.at(-1)?.(reason, promise)
}

/**
 * Start attributing stray rejections on this thread (once per scheduler; the hooks are the
 * thread's). `unowned` gets the rejections no process made. Returns the function that undoes it.
 */
export function watchStrayPromises(unowned: (reason: unknown, promise: Promise<unknown>) => void): () => void {
  if (handlers.length === 0) {
    const stops = [promiseHooks.onInit(onInit), promiseHooks.onBefore(onBefore), promiseHooks.onAfter(onAfter)]
    stopHooks = () => { for (const stop of stops) stop() }
    process.on('unhandledRejection', onRejection)
  }
  handlers.push(unowned)
  let undone = false
  return () => {
    if (undone) return
    undone = true
    handlers.splice(handlers.lastIndexOf(unowned), 1)
    if (handlers.length > 0) return
    stopHooks?.()
    stopHooks = null
    process.off('unhandledRejection', onRejection)
  }
}
