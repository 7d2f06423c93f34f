/**
 * Type tests: calls and casts. Never run, only type-checked (test/integration/043-types.test.ts,
 * on each TypeScript version the README names). A `// @ts-expect-error: text` line says the next
 * line must fail to compile with an error whose message contains `text`; every other line must
 * compile.
 */
import {
  Actor, Node, Server, type CallMessage, type CallOf, type CastMessage, type CastOf, type MessageOf, type Pid, type ReplyOf, type TypedPid,
} from '../../src/index.ts'

/** A Server that declares its calls, casts and replies. */
export class Counter extends Server<{ start: number }, 'get' | { add: number }, 'inc', number> {
  n = 0
  override init(args: { start: number }): void { this.n = args.start }
  override handleCall(req: 'get' | { add: number }): number { return req === 'get' ? this.n : (this.n += req.add) }
  override handleCast(): void { this.n++ }
}

type AccMsg = { type: 'add'; n: number } | CallMessage<'total'> | CastMessage<'clear'>

/** An Actor whose messages include calls and casts. */
export class Acc extends Actor<void, AccMsg> {
  total = 0
  receive(m: AccMsg): void {
    if (m.type === '$call') this.reply(m.from, this.total)
    else if (m.type === '$cast') this.total = 0
    else this.total += m.n
  }
}

/** An Actor that takes no calls. */
export class Deaf extends Actor<void, { type: 'ping' }> {
  receive(): void {}
}

export async function fromTheNode(node: Node, plain: Pid): Promise<number> {
  const counter = await node.spawn(Counter, { start: 0 })
  const n: number = await node.call(counter, 'get')
  await node.call(counter, { add: 2 }, { timeout: 1000 })
  // @ts-expect-error: Argument of type '"nope"' is not assignable to parameter of type '"get" | { add: number; }'
  await node.call(counter, 'nope')
  // @ts-expect-error: Type 'string' is not assignable to type 'number'
  await node.call(counter, { add: '2' })
  // @ts-expect-error: Type 'number' is not assignable to type 'string'
  const s: string = await node.call(counter, 'get')
  node.cast(counter, 'inc')
  // @ts-expect-error: Argument of type '"dec"' is not assignable to parameter of type '"inc"'
  node.cast(counter, 'dec')

  // Server's own client functions check the same way.
  const m: number = await Server.call(node, counter, 'get')
  // @ts-expect-error: Argument of type '"nope"' is not assignable to parameter of type '"get" | { add: number; }'
  await Server.call(node, counter, 'nope')
  Server.cast(node, counter, 'inc')
  // @ts-expect-error: Argument of type '"dec"' is not assignable to parameter of type '"inc"'
  Server.cast(node, counter, 'dec')

  // An Actor's calls and casts are the requests of its CallMessage and CastMessage messages.
  const acc = await node.spawn(Acc)
  await node.call(acc, 'total')
  // @ts-expect-error: Argument of type '"sum"' is not assignable to parameter of type '"total"'
  await node.call(acc, 'sum')
  node.cast(acc, 'clear')
  // @ts-expect-error: Argument of type '"wipe"' is not assignable to parameter of type '"clear"'
  node.cast(acc, 'wipe')
  const deaf = await node.spawn(Deaf)
  // @ts-expect-error: Argument of type '"ping"' is not assignable to parameter of type 'never'
  await node.call(deaf, 'ping')

  // A name, an alias or a plain Pid is not typed: any request, the reply typed by call<R>.
  const r: string = await node.call<string>('counter', 'anything')
  await node.call(plain, { whatever: true })
  node.cast('counter', 42)
  // A reply type named by the caller turns the check off, even for a typed pid.
  const t: number = await node.call<number>(acc, 'any request')
  return n + m + r.length + s.length + t
}

/** Inside a process the same checks apply to `this.call` and `this.cast`. */
export class Client extends Actor<{ counter: Pid }, { type: 'go' }> {
  async receive(): Promise<void> {
    const counter = this.spawn(Counter, { start: 1 })
    const n: number = await this.call(counter, 'get')
    // @ts-expect-error: Argument of type '"nope"' is not assignable to parameter of type '"get" | { add: number; }'
    await this.call(counter, 'nope')
    this.cast(counter, 'inc')
    // @ts-expect-error: Argument of type '"dec"' is not assignable to parameter of type '"inc"'
    this.cast(counter, 'dec')
    await this.call<number>('counter', 'get', { timeout: n })
  }
}

/** A generic helper over any server's typed pid passes its types through. */
export function ask<S>(node: Node, pid: TypedPid<S>, request: CallOf<S>): Promise<ReplyOf<S>> {
  return Server.call(node, pid, request)
}

export function tell<S>(node: Node, pid: TypedPid<S>, message: MessageOf<S>, cast: CastOf<S>, call: CallOf<S>): Promise<unknown> {
  node.send(pid, message)
  node.cast(pid, cast)
  return node.call(pid, call)
}

export async function viaHelpers(node: Node): Promise<number> {
  const counter = await node.spawn(Counter, { start: 0 })
  const n: number = await ask(node, counter, 'get')
  // @ts-expect-error: Argument of type '"nope"' is not assignable to parameter of type '"get" | { add: number; }'
  await ask(node, counter, 'nope')
  return n
}
