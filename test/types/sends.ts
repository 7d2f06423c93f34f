/**
 * Type tests: sends. Never run, only type-checked (test/integration/043-types.test.ts, on each
 * TypeScript version the README names). A `// @ts-expect-error: text` line says the next line
 * must fail to compile with an error whose message contains `text`; every other line must compile.
 */
import { Actor, Node, Server, type CallMessage, type ExitMessage, type Pid, type Ref, type TypedPid } from '../../src/index.ts'

type Msg = { type: 'add'; n: number } | { type: 'reset' }

/** An Actor that declares its messages. */
export class Tally extends Actor<{ start: number }, Msg> {
  total = 0
  override init(args: { start: number }): void { this.total = args.start }
  receive(m: Msg): void { this.total = m.type === 'add' ? this.total + m.n : 0 }
}

/** An Actor that declares nothing: it takes anything. */
export class Sink extends Actor {
  receive(_m: unknown): void {}
}

/** A Server that declares its plain messages (Info). */
export class Ticker extends Server<void, 'count', never, number, { type: 'tick' } | ExitMessage> {
  n = 0
  override handleCall(): number { return this.n }
  override handleInfo(m: { type: 'tick' } | ExitMessage): void { if (m.type === 'tick') this.n++ }
}

/** A Server that declares no Info: plain sends take anything. */
export class Plain extends Server<void, 'get', 'inc', number> {}

export async function fromTheNode(node: Node, plain: Pid, alias: Ref): Promise<void> {
  const tally = await node.spawn(Tally, { start: 0 })
  node.send(tally, { type: 'add', n: 1 })
  node.send(tally, { type: 'reset' })
  // @ts-expect-error: Type '"sub"' is not assignable to type '"add" | "reset"'
  node.send(tally, { type: 'sub', n: 1 })
  // @ts-expect-error: Type 'string' is not assignable to type 'number'
  node.send(tally, { type: 'add', n: '1' })
  const wrong = { kind: 'add', n: 1 }
  // @ts-expect-error: Argument of type '{ kind: string; n: number; }' is not assignable to parameter of type 'Msg'
  node.send(tally, wrong)
  // @ts-expect-error: is not assignable to parameter of type 'Msg'
  node.trySend(tally, 'reset')
  // @ts-expect-error: is not assignable to parameter of type 'Msg'
  node.sendAfter(tally, 42, 10)
  node.sendAfter(tally, { type: 'reset' }, 10)

  // A name, an alias or a plain Pid is not typed: anything goes.
  node.send('tally', 'anything')
  node.send(alias, 42)
  node.send(plain, { type: 'sub' })
  const untyped: Pid = tally
  node.send(untyped, { type: 'sub' })

  const sink = await node.spawn(Sink)
  node.send(sink, { anything: true })

  const ticker = await node.spawn(Ticker)
  node.send(ticker, { type: 'tick' })
  // @ts-expect-error: Type '"tock"' is not assignable to type '"EXIT" | "tick"'
  node.send(ticker, { type: 'tock' })
  const server = await node.spawn(Plain)
  node.send(server, 'anything at all')
}

/** Inside a process: `this.spawn` types the pid, and `this.send` checks it. */
export class Parent extends Actor<void, CallMessage<'go'>> {
  child: TypedPid<Tally> | undefined
  override init(): void {
    const child = this.spawn(Tally, { start: 1 })
    this.send(child, { type: 'add', n: 2 })
    // @ts-expect-error: Type '"sub"' is not assignable to type '"add" | "reset"'
    this.send(child, { type: 'sub' })
    // @ts-expect-error: is not assignable to parameter of type 'Msg'
    this.trySend(child, 'reset')
    // @ts-expect-error: is not assignable to parameter of type 'Msg'
    this.sendAfter(child, null, 10)
    const linked = this.spawnLink(Tally, { start: 0 })
    // @ts-expect-error: Type '"sub"' is not assignable to type '"add" | "reset"'
    this.send(linked, { type: 'sub' })
    this.child = child
    this.send(this.self, 'to itself: untyped')
    this.send(this.parent ?? 'logger', { anything: 1 })
  }

  receive(m: CallMessage<'go'>): void {
    if (this.child !== undefined) this.send(this.child, { type: 'reset' })
    this.reply(m.from, 'gone')
  }
}
