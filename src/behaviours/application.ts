/**
 * Application: OTP's application. A spec (name, version, dependencies, env, children, start
 * type) is loaded into the node; starting it spawns an application master process on the main
 * thread that sets the app's env on itself (so every child inherits it), starts the children in
 * order, linked, then runs the spec's `start` hook. The master does not restart children (give
 * it a Supervisor child for that); a child's exit ends the application, except a transient
 * application's child ending 'normal', which is only reported.
 *
 * When an application ends other than through stopApplication, its start type decides the
 * node's fate (Erlang):
 *
 *   permanent   the node stops (every other application with it)
 *   transient   the node stops unless the application ended 'normal'
 *   temporary   reported only ('applicationExit' event on the node)
 *
 * stopApplication shuts the children down in reverse start order (each with its shutdown,
 * default 5000 ms) and leaves the application loaded, ready to start again.
 *
 * The master is a callback module on the gen layer (gen.ts): Server.stop's request and the
 * refusal of calls it does not know are the gen layer's. It has no parent (the node starts it
 * unlinked); EXITs from anything but its children are dropped.
 */
import { kBehaviour, kInit, type Settle } from '../core/process-context.ts'
import { isExitMessage, type CallMessage } from '../core/envelope.ts'
import { Pid } from '../core/pid.ts'
import type { ExitReason } from '../core/exit.ts'
import { Gen, kGenCall, kGenInfo, kGenTerminate } from './gen.ts'
import { shutDown, startLinked } from './children.ts'
import type { ChildSpec, ChildStarted } from './supervisor-spec.ts'

/**
 * What an application's own end (not through stopApplication) does to the node: `permanent`
 * stops it; `transient` stops it unless the application ended 'normal'; `temporary` only
 * reports it (the node's `applicationExit` event).
 */
export type StartType = 'permanent' | 'transient' | 'temporary'

/**
 * An application, for `node.loadApplication(spec)`: a named group of children with its env and
 * the applications it needs, started (`node.startApplication(name)`) and stopped as one.
 *
 * Details: the application master (a process on the main thread) sets `env` on itself, starts
 * `children` in order, each linked, then runs `start`. It does not restart children: give it a
 * Supervisor child for that. A child's exit ends the application with the child's reason,
 * except a `transient` application's child ending 'normal'.
 *
 * @throws ERR_APP_ALREADY_LOADED, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (loadApplication);
 *   ERR_APP_START_FAILED (startApplication), whose `reason` says why, as OTP's does:
 *   `{ not_started: dep }` for a dependency that is not loaded, `{ circular_dependencies: [a, b, a] }`,
 *   the dependency's own ERR_APP_START_FAILED when it fails, and
 *   `{ failed_to_start_child: id, reason }` when a child fails to start
 * @example
 * ```ts
 * node.loadApplication({
 *   name: 'search', version: '1.0.0', applications: ['storage'], env: { shards: 8 },
 *   startType: 'permanent', children: [{ id: 'top', start: [SearchSup], type: 'supervisor' }],
 * })
 * await node.startApplication('search')      // starts 'storage' first if it is not running
 * ```
 */
export interface ApplicationSpec {
  /** A non-empty name, unique in the node. */
  readonly name: string
  /** Shown by `whichApplications` and `applicationInfo`. */
  readonly description?: string
  /** Shown by `whichApplications` and `applicationInfo`. */
  readonly version?: string
  /** Applications started (in order) before this one; an already running one is fine. */
  readonly applications?: readonly string[]
  /** Set on the application master: every child sees it through `env(key)` unless it sets its own. */
  readonly env?: Readonly<Record<string, unknown>>
  /** Started in order, each linked to the application master (restart types are not used). */
  readonly children?: readonly ChildSpec[]
  /** Default 'temporary'. */
  readonly startType?: StartType
  /** Stop the application with 'normal' after this many ms (0 or absent: never). */
  readonly lifespan?: number
  /** Runs in the application master after the children have started. */
  readonly start?: (app: ApplicationContext) => void | Promise<void>
}

/** What the `start` hook gets: the master's pid and the children it started, in order. */
export interface ApplicationContext {
  /** The application master's pid. */
  readonly self: Pid
  /** The children it started, in start order (those whose init returned ignore left out). */
  readonly children: readonly Pid[]
}

/** The application master's arguments. */
export interface MasterArgs {
  readonly spec: ApplicationSpec
  readonly startType: StartType
}

const LIFESPAN_OVER = Object.freeze({ $appLifespan: true })

interface Running {
  readonly id: string
  readonly pid: Pid
  readonly shutdown: ChildSpec['shutdown']
}

export class ApplicationMaster extends Gen {
  static readonly [kBehaviour] = 'application'
  #startType: StartType = 'temporary'
  #children: Running[] = []

  init(_args: MasterArgs): void {}

  async [kInit](raw: unknown): Promise<void> {
    const { spec, startType } = raw as MasterArgs
    this.#startType = startType
    this.trapExit(true)
    for (const [key, value] of Object.entries(spec.env ?? {})) this.setEnv(key, value)
    for (const child of spec.children ?? []) {
      let started: ChildStarted
      try {
        started = await startLinked(this, child.start)
      } catch (error) {
        await this.#shutdownAll()
        const reason = (error as { reason?: unknown }).reason ?? error
        throw { failed_to_start_child: child.id, reason }
      }
      if (started === 'ignore') continue
      const pid = started instanceof Pid ? started : started.pid
      this.#children.push({ id: child.id, pid, shutdown: child.shutdown })
    }
    if (spec.lifespan !== undefined && spec.lifespan > 0) this.sendAfter(this.self, LIFESPAN_OVER, spec.lifespan)
    await spec.start?.({ self: this.self, children: this.#children.map((c) => c.pid) })
  }

  /** @hidden The gen layer's hook: the lifespan's end, a child's EXIT. */
  override [kGenInfo](message: unknown): Settle {
    if (message === LIFESPAN_OVER) {
      this.stop('normal')
      return
    }
    if (!isExitMessage(message)) return
    const i = this.#children.findIndex((c) => c.pid.equals(message.from))
    if (i < 0) return
    this.#children.splice(i, 1)
    // A transient application outlives a child that ended normally; any other exit ends it.
    if (this.#startType === 'transient' && message.reason === 'normal') return
    this.stop(message.reason)
  }

  /** @hidden The gen layer's hook: 'children' (its children's pids, APP-R6); any other call is refused. */
  override [kGenCall](message: CallMessage): Settle {
    if (message.request !== 'children') return super[kGenCall](message)
    this.reply(message.from, this.#children.map((c) => c.pid))
  }

  /** @hidden The gen layer's hook: terminate shuts the children down. */
  override [kGenTerminate](_reason: ExitReason): Settle {
    return this.#shutdownAll()
  }

  /** Reverse start order, one at a time: exit 'shutdown', wait up to the child's shutdown, then kill. */
  async #shutdownAll(): Promise<void> {
    const children = this.#children.reverse()
    this.#children = []
    for (const c of children) await shutDown(this, [c.pid], c.shutdown ?? 5000)
  }
}
