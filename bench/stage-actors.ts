/**
 * Stage shapes for the bench: a producer of numbers, a producer_consumer that maps them, and a
 * sink that counts what it gets and answers a call once it has seen the number it expects.
 */
import { Stage, noreply, type From, type StageSpec, type SubscribeOptions } from '../src/index.ts'

/** Emits consecutive integers, exactly as many as asked. */
export class NumberSource extends Stage<void, number> {
  #next = 0

  init(): StageSpec<number> {
    return { type: 'producer' }
  }

  override handleDemand(demand: number): number[] {
    const out = new Array<number>(demand)
    for (let i = 0; i < demand; i++) out[i] = this.#next++
    return out
  }
}

/** producer_consumer: adds one to every event. */
export class AddOne extends Stage<{ subscribeTo: readonly SubscribeOptions[] }, number> {
  init(args: { subscribeTo: readonly SubscribeOptions[] }): StageSpec<number> {
    return { type: 'producer_consumer', subscribeTo: args.subscribeTo }
  }

  override handleEvents(events: number[]): number[] {
    for (let i = 0; i < events.length; i++) events[i] = (events[i] as number) + 1
    return events
  }
}

/** Counts events; `call({ expect: n })` answers once n more have arrived. */
export class Sink extends Stage<{ subscribeTo: readonly SubscribeOptions[] }, number> {
  #count = 0
  #target = Infinity
  #from: From | null = null

  init(args: { subscribeTo: readonly SubscribeOptions[] }): StageSpec<number> {
    return { type: 'consumer', subscribeTo: args.subscribeTo }
  }

  override handleEvents(events: number[]): void {
    this.#count += events.length
    if (this.#count >= this.#target && this.#from !== null) {
      this.reply(this.#from, this.#count)
      this.#from = null
      this.#target = Infinity
    }
  }

  override handleCall(request: { expect: number }, from: From): unknown {
    this.#target = this.#count + request.expect
    this.#from = from
    return noreply()
  }
}
