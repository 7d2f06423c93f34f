/**
 * The task every offload thread runs (the piscina pool's worker module): import the named
 * module (once per thread, by the module cache), call its export with the arguments, and hand
 * back the result. Failures come back as values, not throws: the service can then tell "not
 * found" from "the function threw", and a thrown error keeps its name and code (structured
 * clone of an Error keeps only its message).
 */

export interface OffloadTask {
  readonly module: string
  readonly name: string
  readonly args: readonly unknown[]
}

/** What the function threw, as plain data (structured clone would keep only an Error's message). */
export interface Thrown {
  readonly name: string
  readonly message: string
  readonly code?: unknown
}

export type OffloadOutcome = { readonly value: unknown } | { readonly missing: string } | { readonly thrown: Thrown | unknown }

/** The pool's workerData: tsx's ESM API when the node runs .ts sources (see registerTsx). */
export interface OffloadThreadData {
  readonly tsx: string | undefined
}

let loader: Promise<void> | null = null

/**
 * Node 20 does not carry tsx's ESM hooks into worker threads, so under tsx the first task of
 * each offload thread registers them before importing a user's .ts module (as thread-host does
 * for the schedulers).
 */
function registerTsx(): Promise<void> {
  loader ??= (async () => {
    const { workerData } = await import('piscina') as { workerData?: Partial<OffloadThreadData> }
    if (typeof workerData?.tsx !== 'string') return
    const api = await import(workerData.tsx) as { register?: () => unknown; default?: { register: () => unknown } }
    ;(api.register ?? api.default?.register)?.()
  })()
  return loader
}

export default async function runOffloadTask(task: OffloadTask): Promise<OffloadOutcome> {
  await registerTsx()
  let exports: Record<string, unknown>
  try {
    exports = await import(task.module) as Record<string, unknown>
  } catch (error) {
    return { missing: `the module did not load (${error instanceof Error ? error.message : String(error)})` }
  }
  const fn = exports[task.name]
  if (typeof fn !== 'function') return { missing: fn === undefined ? 'no such export' : `the export is a ${typeof fn}, not a function` }
  try {
    return { value: await (fn as (...args: readonly unknown[]) => unknown)(...task.args) }
  } catch (error) {
    if (!(error instanceof Error)) return { thrown: error }
    const code = (error as { code?: unknown }).code
    return { thrown: { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) } }
  }
}
