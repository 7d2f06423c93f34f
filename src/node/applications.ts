/**
 * The node's applications: loaded specs, running masters, and what happens to the node when a
 * running application ends (its start type; see behaviours/application.ts).
 *
 *   load(spec) ─▶ loaded ─start─▶ dependencies started in order ─▶ master spawned (children up)
 *   master DOWN (not through stop) ─▶ 'applicationExit' event ─▶ permanent / transient-abnormal: node.stop()
 */
import { ApplicationMaster, type ApplicationSpec, type MasterArgs, type StartType } from '../behaviours/application.ts'
import { Server } from '../behaviours/server.ts'
import { makeError } from '../core/errors.ts'
import { formatReason, type ExitReason } from '../core/exit.ts'
import type { Address, Pid } from '../core/pid.ts'
import type { Caller } from '../core/process-context.ts'
import type { DownMessage } from '../core/envelope.ts'

/** What the applications need from their node (the Node, seen through a narrow port). */
export interface ApplicationsNode extends Caller {
  monitor(target: Address): { readonly down: Promise<DownMessage> }
  emit(event: string, ...args: unknown[]): boolean
  stop(): Promise<void>
}

/** A loaded application as `whichApplications`, `loadedApplications` and `applicationInfo` show it. */
export interface ApplicationInfo {
  /** Its spec's name. */
  readonly name: string
  /** Its spec's description ('' if none). */
  readonly description: string
  /** Its spec's version ('' if none). */
  readonly version: string
  /** The application master, while it runs. */
  readonly pid: Pid | undefined
}

interface Entry {
  readonly spec: ApplicationSpec
  master: Pid | undefined
  startType: StartType
  /** Set while stopApplication runs: the end is then not the start type's business. */
  stopping: boolean
}

const START_TYPES: readonly string[] = ['permanent', 'transient', 'temporary']

export class Applications {
  readonly #node: ApplicationsNode
  readonly #apps = new Map<string, Entry>()
  #nodeStopping = false

  constructor(node: ApplicationsNode) {
    this.#node = node
  }

  load(spec: ApplicationSpec): string {
    if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string' || spec.name.length === 0) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'application spec', 'an object with a non-empty name', spec)
    }
    if (spec.startType !== undefined && !START_TYPES.includes(spec.startType)) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'startType', START_TYPES.join(' | '), spec.startType)
    }
    if (this.#apps.has(spec.name)) throw makeError('ERR_APP_ALREADY_LOADED', spec.name)
    this.#apps.set(spec.name, { spec, master: undefined, startType: spec.startType ?? 'temporary', stopping: false })
    return spec.name
  }

  unload(name: string): void {
    const app = this.#get(name)
    if (app.master !== undefined) throw makeError('ERR_APP_ALREADY_STARTED', name)
    this.#apps.delete(name)
  }

  async start(name: string, startType?: StartType, chain: readonly string[] = []): Promise<Pid> {
    const app = this.#get(name)
    if (app.master !== undefined) throw makeError('ERR_APP_ALREADY_STARTED', name)
    if (chain.includes(name)) {
      const cycle = [...chain, name]
      throw startFailed(name, `circular dependency ${cycle.join(' → ')}`, { circular_dependencies: cycle })
    }
    const type = startType ?? app.spec.startType ?? 'temporary'
    if (!START_TYPES.includes(type)) throw makeError('ERR_INVALID_ARG_VALUE', 'startType', START_TYPES.join(' | '), type)
    for (const dep of app.spec.applications ?? []) {
      const d = this.#apps.get(dep)
      // OTP's application:start answers {error, {not_started, Dep}}.
      if (d === undefined) throw startFailed(name, `dependency ${JSON.stringify(dep)} is not loaded`, { not_started: dep })
      if (d.master !== undefined) continue
      try {
        await this.start(dep, undefined, [...chain, name])
      } catch (error) {
        throw startFailed(name, `dependency ${JSON.stringify(dep)}: ${(error as Error).message}`, error)
      }
    }
    let master: Pid
    try {
      const started = await this.#node.startProcess(ApplicationMaster, { spec: app.spec, startType: type } satisfies MasterArgs, { thread: 0 })
      if (started === 'ignore') throw new Error('the application master ignored its start')
      master = started
    } catch (error) {
      const reason = (error as { reason?: unknown }).reason ?? error
      throw startFailed(name, formatReason(reason), reason)
    }
    app.master = master
    app.startType = type
    app.stopping = false
    void this.#node.monitor(master).down.then((down) => this.#ended(app, master, down.reason))
    return master
  }

  async stop(name: string): Promise<void> {
    const app = this.#get(name)
    const master = app.master
    if (master === undefined) throw makeError('ERR_APP_NOT_RUNNING', name)
    app.stopping = true
    try {
      await Server.stop(this.#node, master, 'normal')
    } catch (error) {
      // It ended meanwhile with another reason: it is stopped all the same.
      if ((error as { code?: unknown }).code !== 'ERR_CALL_EXIT' && (error as { code?: unknown }).code !== 'ERR_NOPROC') throw error
    }
    if (app.master === master) app.master = undefined
  }

  /** The node is stopping: applications end with it, and that is not their start type's business. */
  nodeStopping(): void {
    this.#nodeStopping = true
  }

  which(): ApplicationInfo[] {
    return [...this.#apps.values()].filter((a) => a.master !== undefined).map(info)
  }

  loaded(): ApplicationInfo[] {
    return [...this.#apps.values()].map(info)
  }

  info(name: string): ApplicationInfo {
    return info(this.#get(name))
  }

  #get(name: string): Entry {
    const app = this.#apps.get(name)
    if (app === undefined) throw makeError('ERR_APP_UNKNOWN', name)
    return app
  }

  #ended(app: Entry, master: Pid, reason: ExitReason): void {
    if (app.master !== master) return
    app.master = undefined
    if (app.stopping || this.#nodeStopping) return
    const name = app.spec.name
    this.#node.emit('applicationExit', name, reason, app.startType)
    const fatal = app.startType === 'permanent' || (app.startType === 'transient' && reason !== 'normal')
    if (!fatal) return
    this.#node.emit('nodeStopping', { application: name, reason })
    void this.#node.stop()
  }
}

/** ERR_APP_START_FAILED for `name`; its `reason` says why, as data (every such failure has one). */
function startFailed(name: string, why: string, reason: unknown): Error {
  const e = makeError('ERR_APP_START_FAILED', name, why)
  e.reason = reason
  return e
}

function info(a: Entry): ApplicationInfo {
  return { name: a.spec.name, description: a.spec.description ?? '', version: a.spec.version ?? '', pid: a.master }
}
