/**
 * A producer in miniature, for driving a dispatcher the way a Stage will (STG-R10, R11, R14):
 * returned demand is served from the buffer first, then by a counter "handleDemand" that emits
 * exactly the rest; leftover events are buffered; recredits and queued infos run after the
 * current operation, as messages a stage sends itself. Synchronous and deterministic.
 */
import { Pid } from '../../../src/core/pid.ts'
import type { DemandStep, Dispatcher, DispatchStep, SubscribeOptions } from '../../../src/behaviours/stage/dispatchers/dispatcher.ts'

/** A distinct pid per consumer name. */
export function pidOf(name: string): Pid {
  let id = 1
  for (const ch of name) id = (id * 31 + ch.charCodeAt(0)) & 0xffff
  return new Pid('nonode@nohost', id, 0, 0)
}

export class ProducerModel {
  readonly dispatcher: Dispatcher<number, string>
  /** Events waiting for demand, oldest first. */
  readonly buffer: number[] = []
  /** Every demand the dispatcher returned (> 0), in order. */
  readonly upstream: number[] = []
  /** What each consumer received, batch by batch. */
  readonly received = new Map<string, number[][]>()
  /** Info messages handled by the producer, in order. */
  readonly infos: unknown[] = []
  #next = 0
  readonly #live = new Set<string>()
  readonly #selfQueue: Array<() => void> = []

  constructor(dispatcher: Dispatcher<number, string>) {
    this.dispatcher = dispatcher
  }

  /** All events a consumer received, flattened. */
  got(sub: string): number[] {
    return (this.received.get(sub) ?? []).flat()
  }

  subscribe(sub: string, opts: SubscribeOptions = {}): void {
    const demand = this.dispatcher.subscribe(sub, opts, pidOf(sub))
    this.#live.add(sub)
    this.#serve(demand)
    this.#runSelf()
  }

  ask(n: number, sub: string): void {
    this.#apply(this.dispatcher.ask(n, sub))
    this.#runSelf()
  }

  cancel(sub: string): void {
    this.#live.delete(sub)
    this.#apply(this.dispatcher.cancel(sub))
    this.#runSelf()
  }

  /** Events a callback returned without being asked (handleCall, handleInfo). */
  emit(events: number[]): void {
    this.#dispatch(events)
    this.#runSelf()
  }

  /** syncInfo: handled now, or once the dispatcher releases it. */
  info(message: unknown): void {
    if (this.dispatcher.info(message) === 'now') this.infos.push(message)
  }

  #apply(step: DemandStep<number, string>): void {
    this.#deliver(step)
    this.infos.push(...step.infos)
    this.#serve(step.demand)
  }

  #serve(demand: number): void {
    if (demand === 0) return
    this.upstream.push(demand)
    const fromBuffer = this.buffer.splice(0, demand)
    if (fromBuffer.length > 0) this.#dispatch(fromBuffer)
    const rest = demand - fromBuffer.length
    if (rest > 0) this.#dispatch(Array.from({ length: rest }, () => this.#next++))
  }

  #dispatch(events: number[]): void {
    const step: DispatchStep<number, string> = this.dispatcher.dispatch(events)
    this.#deliver(step)
    this.buffer.push(...step.leftover)
    for (const { sub, n } of step.recredits) {
      this.#selfQueue.push(() => {
        if (this.#live.has(sub)) this.#apply(this.dispatcher.ask(n, sub))
      })
    }
  }

  #deliver(step: { deliveries: DemandStep<number, string>['deliveries'] }): void {
    for (const { sub, events } of step.deliveries) {
      const batches = this.received.get(sub) ?? []
      batches.push([...events])
      this.received.set(sub, batches)
    }
  }

  #runSelf(): void {
    for (let job = this.#selfQueue.shift(); job !== undefined; job = this.#selfQueue.shift()) job()
  }
}
