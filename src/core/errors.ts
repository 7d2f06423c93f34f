/**
 * One registry of coded errors. The `code` is the contract; messages may change.
 * Errors cross threads through cbor (see codec), so callers recognise them by `code`,
 * never by `instanceof`.
 */

/** The fields Skein adds to the Errors it throws or rejects with. */
export interface SkeinErrorFields {
  /** The error's code (`'ERR_NOPROC'`, ...): the contract, unlike the message. */
  readonly code: string
  /** For call failures: the exit reason that ended the call (`'noproc'`, `'timeout'`, ...). */
  reason?: unknown
}

type Base = ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor

interface Entry {
  readonly message: (...args: never[]) => string
  readonly base: Base
}

const registry = new Map<string, Entry>()

function E<A extends unknown[]>(code: string, message: (...args: A) => string, base: Base = Error) {
  registry.set(code, { message: message as unknown as (...args: never[]) => string, base })
  return code
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'function') return `function ${v.name || '(anonymous)'}`
  try {
    // A plain object or array (an OTP-style reason such as { shutdown: { failed_to_start_child: 'a' } })
    // reads better as data than as [object Object]; anything with its own toString (Pid, Error) keeps it.
    if (typeof v === 'object' && v !== null && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)) {
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'function' ? `function ${x.name}` :
        typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) !== Object.prototype ? String(x) : x))
    }
    return String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

export const Codes = {
  ERR_INVALID_ARG_TYPE: E('ERR_INVALID_ARG_TYPE', (what: string, expected: string, got: unknown) =>
    `expected ${what} to be ${expected}, got: ${show(got)}`, TypeError),
  ERR_INVALID_ARG_VALUE: E('ERR_INVALID_ARG_VALUE', (what: string, expected: string, got: unknown) =>
    `expected ${what} to be ${expected}, got: ${show(got)}`, RangeError),
  ERR_UNKNOWN_OPTION: E('ERR_UNKNOWN_OPTION', (where: string, key: string, known: readonly string[], near?: string) =>
    `unknown option ${JSON.stringify(key)} for ${where}; ${near === undefined ? '' : `did you mean ${JSON.stringify(near)}? `}` +
    `known options: ${known.join(', ')}`, TypeError),
  ERR_NOT_SERIALIZABLE: E('ERR_NOT_SERIALIZABLE', (path: string, why: string) =>
    `message cannot cross threads: ${why} at ${path}`, TypeError),
  ERR_UNKNOWN_NAME: E('ERR_UNKNOWN_NAME', (name: string) => `no process is registered as ${JSON.stringify(name)}`),
  ERR_NAME_TAKEN: E('ERR_NAME_TAKEN', (name: string, owner: string) =>
    `the name ${JSON.stringify(name)} is already registered to ${owner}`),
  ERR_NAME_TOO_LONG: E('ERR_NAME_TOO_LONG', (name: string, max: number) =>
    `the name ${JSON.stringify(name)} is longer than ${max} UTF-8 bytes`, RangeError),
  ERR_REGISTRY_FULL: E('ERR_REGISTRY_FULL', (max: number) =>
    `the name registry is full (${max} names); raise the maxNames option`, RangeError),
  ERR_UNKNOWN_BEHAVIOUR: E('ERR_UNKNOWN_BEHAVIOUR', (module: string, exportName: string) =>
    `no behaviour export ${JSON.stringify(exportName)} in module ${module}; is it listed in the node's modules option?`),
  ERR_BEHAVIOUR_NOT_REGISTERED: E('ERR_BEHAVIOUR_NOT_REGISTERED', (name: string) =>
    `class ${name} is not exported by any module in the node's modules option, so another thread cannot create it`),
  ERR_NOT_A_BEHAVIOUR: E('ERR_NOT_A_BEHAVIOUR', (got: unknown) =>
    `expected a behaviour class (extends Actor or Server), got: ${show(got)}`, TypeError),
  ERR_NOPROC: E('ERR_NOPROC', (target: string) => `no process ${target}`),
  ERR_CALL_EXIT: E('ERR_CALL_EXIT', (target: string, reason: unknown) =>
    `process ${target} exited during the call with reason ${show(reason)}`),
  ERR_CALLING_SELF: E('ERR_CALLING_SELF', (pid: string) => `process ${pid} called itself: it would wait for ever`),
  ERR_CALL_TIMEOUT: E('ERR_CALL_TIMEOUT', (target: string, ms: number) => `call to ${target} timed out after ${ms} ms`),
  ERR_CALL_ABORTED: E('ERR_CALL_ABORTED', (target: string) => `call to ${target} was aborted by its signal`),
  ERR_PROCESS_TERMINATED: E('ERR_PROCESS_TERMINATED', (pid: string) => `process ${pid} has terminated`),
  ERR_NOT_IN_PROCESS: E('ERR_NOT_IN_PROCESS', (what: string) =>
    `${what} can only be used by a running process (this behaviour instance is not attached to one)`),
  ERR_INIT_FAILED: E('ERR_INIT_FAILED', (pid: string, reason: unknown) => `init of ${pid} failed: ${show(reason)}`),
  ERR_INIT_IGNORED: E('ERR_INIT_IGNORED', (pid: string) =>
    `init of ${pid} returned ignore: the process did not start (use Server.start to get 'ignore' as a value)`),
  ERR_START_TIMEOUT: E('ERR_START_TIMEOUT', (pid: string, ms: number) =>
    `init of ${pid} did not finish within ${ms} ms; the process was killed`),
  ERR_SUPERVISOR_DATA: E('ERR_SUPERVISOR_DATA', (flag: string, got: unknown, expected: string) =>
    `invalid supervisor flag ${flag}: ${show(got)} (expected ${expected})`),
  ERR_BAD_CHILD_SPEC: E('ERR_BAD_CHILD_SPEC', (id: unknown, what: string) => `bad child spec ${show(id)}: ${what}`),
  ERR_ALREADY_STARTED: E('ERR_ALREADY_STARTED', (id: string, pid: string) => `child ${JSON.stringify(id)} is already running as ${pid}`),
  ERR_ALREADY_PRESENT: E('ERR_ALREADY_PRESENT', (id: string) =>
    `child ${JSON.stringify(id)} is already present (not running): use restartChild or deleteChild`),
  ERR_CHILD_RUNNING: E('ERR_CHILD_RUNNING', (id: string) => `child ${JSON.stringify(id)} is running`),
  ERR_CHILD_RESTARTING: E('ERR_CHILD_RESTARTING', (id: string) => `child ${JSON.stringify(id)} is being restarted`),
  ERR_CHILD_NOT_FOUND: E('ERR_CHILD_NOT_FOUND', (id: string) => `no child ${id}`),
  ERR_SIMPLE_ONE_FOR_ONE: E('ERR_SIMPLE_ONE_FOR_ONE', (op: string) =>
    `${op} is not available on a simple_one_for_one supervisor (terminate children by pid)`),
  ERR_CHILD_START: E('ERR_CHILD_START', (id: string, reason: string) => `child ${id} failed to start: ${reason}`),
  ERR_APP_UNKNOWN: E('ERR_APP_UNKNOWN', (name: string) => `no application ${JSON.stringify(name)} is loaded`),
  ERR_APP_ALREADY_LOADED: E('ERR_APP_ALREADY_LOADED', (name: string) => `application ${JSON.stringify(name)} is already loaded`),
  ERR_APP_ALREADY_STARTED: E('ERR_APP_ALREADY_STARTED', (name: string) => `application ${JSON.stringify(name)} is running`),
  ERR_APP_NOT_RUNNING: E('ERR_APP_NOT_RUNNING', (name: string) => `application ${JSON.stringify(name)} is not running`),
  ERR_APP_START_FAILED: E('ERR_APP_START_FAILED', (name: string, why: string) => `application ${JSON.stringify(name)} failed to start: ${why}`),
  ERR_ALREADY_EXISTS: E('ERR_ALREADY_EXISTS', (id: string) => `${JSON.stringify(id)} already exists in this supervisor`),
  ERR_NO_WORKER_OR_CALLBACK: E('ERR_NO_WORKER_OR_CALLBACK', (chain: string) =>
    `chain ${JSON.stringify(chain)} has no worker and no finished callback: the data would go nowhere`),
  ERR_POOL_BUSY: E('ERR_POOL_BUSY', (pool: string) => `pool ${pool} has no worker that can take the call (all restarting or full)`),
  ERR_BAD_RETURN_VALUE: E('ERR_BAD_RETURN_VALUE', (callback: string, got: unknown) =>
    `${callback} returned an unexpected value: ${show(got)}`),
  ERR_NODE_STOPPED: E('ERR_NODE_STOPPED', () => 'the node is stopped'),
  ERR_DEMONITORED: E('ERR_DEMONITORED', (ref: string) => `monitor ${ref} was removed before it fired`),
  ERR_THREAD_DOWN: E('ERR_THREAD_DOWN', (thread: number) => `thread ${thread} is down and will not be restarted`),
  ERR_THREAD_FAILED: E('ERR_THREAD_FAILED', (thread: number, why: string) => `thread ${thread} failed to start: ${why}`),
  // A program that lists its own module in `modules` and starts the node from its top level (node.ts, worker-main.ts).
  ERR_NODE_START_IN_WORKER: E('ERR_NODE_START_IN_WORKER', (thread: number, module?: string) => module === undefined
    ? `Node.start was called on Skein worker thread ${thread}: a node starts from the main thread only`
    : `Node.start was called on Skein worker thread ${thread} while it imported ${module}: that module is listed in ` +
      '`modules`, so every thread imports it, and it starts a node when imported. Start the node only on the main ' +
      'thread, from a function called without top-level await (`if (isMainThread) main()`, isMainThread from ' +
      'node:worker_threads), or move the actors to a module of their own'),
  ERR_MODULE_AWAITS_NODE_START: E('ERR_MODULE_AWAITS_NODE_START', (module: string) =>
    `${module} is listed in \`modules\` but cannot finish loading: it (or a module it imports) awaits Node.start at its ` +
    'top level, and Node.start imports every module in `modules` before it resolves, so it would wait for itself. ' +
    'Start the node from a function called without top-level await (`if (isMainThread) main()`, isMainThread from ' +
    'node:worker_threads), or move the actors to a module of their own'),
  // A module in `modules` whose import threw (not found, a syntax error, a throw at its top level),
  // on the main thread (0) or a worker thread; the error Node gave is the `cause`.
  ERR_MODULE_LOAD_FAILED: E('ERR_MODULE_LOAD_FAILED', (module: string, thread: number, why: string, entryNotFound = false) =>
    `thread ${thread} could not load ${module}, listed in \`modules\`: ${why}` + (entryNotFound && /\.[cm]?ts$/.test(module)
      ? '. A .ts URL stays .ts once compiled (tsc never rewrites a URL): name the module by its .js file, ' +
        "new URL('./app.js', import.meta.url), which tsx resolves to app.ts and tsc compiles to app.js"
      : '')),
  ERR_ALIAS_OWNER: E('ERR_ALIAS_OWNER', (alias: string) => `only the process that created alias ${alias} may delete it`),
  ERR_UNKNOWN_ALIAS: E('ERR_UNKNOWN_ALIAS', (alias: string) => `alias ${alias} is not active`),
  ERR_MAILBOX_FULL: E('ERR_MAILBOX_FULL', (pid: string, size: number) => `mailbox of ${pid} is full (${size} messages)`, RangeError),
  ERR_PROCESS_BUSY: E('ERR_PROCESS_BUSY', (pid: string, size: number) => `direct requests to ${pid} are full (${size} waiting)`),
  ERR_UNSUPPORTED_REQUEST: E('ERR_UNSUPPORTED_REQUEST', (pid: string, what = 'this request') => `process ${pid} does not handle ${what}`),
  // Offload (src/node/offload.ts): blocking work on the node's piscina pool.
  ERR_OFFLOAD_FAILED: E('ERR_OFFLOAD_FAILED', (task: string, why: string) => `offloaded ${task} failed: ${why}`),
  ERR_OFFLOAD_NOT_FOUND: E('ERR_OFFLOAD_NOT_FOUND', (module: string, name: string, why: string) =>
    `cannot offload ${JSON.stringify(name)} from ${module}: ${why}`),
  ERR_OFFLOAD_TIMEOUT: E('ERR_OFFLOAD_TIMEOUT', (task: string, ms: number) =>
    `offloaded ${task} did not finish within ${ms} ms; its offload thread was stopped`),
  ERR_OFFLOAD_CLOSED: E('ERR_OFFLOAD_CLOSED', (task: string) => `offloaded ${task} was cancelled: the node is stopping`),
  // Stage dispatchers (src/behaviours/stage/dispatchers): STG-R17..R19.
  ERR_STAGE_UNKNOWN_SUBSCRIPTION: E('ERR_STAGE_UNKNOWN_SUBSCRIPTION', (dispatcher: string, sub: unknown) =>
    `${dispatcher} has no subscription ${show(sub)}`),
  ERR_STAGE_DUPLICATE_SUBSCRIPTION: E('ERR_STAGE_DUPLICATE_SUBSCRIPTION', (dispatcher: string, sub: unknown) =>
    `${dispatcher} already has a subscription ${show(sub)}`),
  ERR_STAGE_ALREADY_SUBSCRIBED: E('ERR_STAGE_ALREADY_SUBSCRIBED', (consumer: string) =>
    `${consumer} is already subscribed to this broadcast producer; the new subscription is discarded`),
  ERR_STAGE_PARTITION_REQUIRED: E('ERR_STAGE_PARTITION_REQUIRED', () =>
    'the partition option is required when subscribing to a producer with a PartitionDispatcher', TypeError),
  ERR_STAGE_UNKNOWN_PARTITION: E('ERR_STAGE_UNKNOWN_PARTITION', (partition: unknown, known: readonly unknown[]) =>
    `unknown partition ${show(partition)}; the known partitions are ${known.map(show).join(', ')}`, RangeError),
  ERR_STAGE_PARTITION_TAKEN: E('ERR_STAGE_PARTITION_TAKEN', (partition: unknown, by: string) =>
    `partition ${show(partition)} is already taken by ${by}`),
  ERR_STAGE_HASH_REQUIRED: E('ERR_STAGE_HASH_REQUIRED', (partition: unknown) =>
    `partition name ${show(partition)} is not an integer: a PartitionDispatcher with named partitions needs the hash option`, TypeError),
  ERR_STAGE_BAD_HASH: E('ERR_STAGE_BAD_HASH', (got: unknown) =>
    `the partition hash must return [event, partition] or 'none', got: ${show(got)}`, TypeError),
  ERR_STAGE_BAD_OPTS: E('ERR_STAGE_BAD_OPTS', (message: string) => `bad stage options: ${message}`),
  ERR_STAGE_NOT_A_CONSUMER: E('ERR_STAGE_NOT_A_CONSUMER', (stage: string) => `stage ${stage} is a producer: it cannot subscribe`),
  ERR_STAGE_NOT_A_PRODUCER: E('ERR_STAGE_NOT_A_PRODUCER', (stage: string) => `stage ${stage} is a consumer: it has no demand or buffer`),
  ERR_STAGE_NO_HANDLER: E('ERR_STAGE_NO_HANDLER', (stage: string, callback: string) => `stage ${stage} has no ${callback}`),
} as const

/** Every code a Skein error may carry (`'ERR_NOPROC'`, `'ERR_CALL_TIMEOUT'`, ...). */
export type ErrorCode = keyof typeof Codes

/**
 * An Error (or TypeError, RangeError) with a `code`, and for a failed call the exit reason that
 * ended it. Test for one with {@link hasCode}.
 */
export type SkeinError = Error & SkeinErrorFields

/** Make the coded error `code` with the arguments its message takes. */
export function makeError(code: ErrorCode, ...args: unknown[]): SkeinError {
  const entry = registry.get(code)
  if (entry === undefined) throw new Error(`unregistered error code ${code}`)
  const error = new entry.base((entry.message as (...a: unknown[]) => string)(...args)) as SkeinError
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: false, configurable: true })
  return error
}

/**
 * True if `e` is an error (from any thread) carrying `code`.
 *
 * Gotcha: recognise Skein's errors this way, never with `instanceof`: an error that crossed
 * threads (a reply, an exit reason) is rebuilt there and may not be the class it was thrown as.
 *
 * @example
 * ```ts
 * try {
 *   await node.call('cache', 'get', { timeout: 100 })
 * } catch (error) {
 *   if (hasCode(error, 'ERR_CALL_TIMEOUT')) return undefined
 *   throw error
 * }
 * ```
 */
export function hasCode(e: unknown, code: ErrorCode): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code
}
