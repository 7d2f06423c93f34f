/**
 * Behaviour types: what a behaviour class declares for the type checker (its messages, calls,
 * casts and replies), and how a typed pid's sends, calls and casts are checked against them.
 * Types only: nothing here exists at run time.
 *
 *   class declares                         read by          checks
 *   Actor<Args, Msg>                       MessageOf        send: Msg
 *                                          CallOf, CastOf   call/cast: the requests of Msg's
 *                                                           CallMessage / CastMessage members
 *   Server<Args, Call, Cast, Reply, Info>  CallOf, CastOf,  call: Call (reply typed Reply),
 *                                          ReplyOf,         cast: Cast,
 *                                          MessageOf        send: Info
 *   anything else                          unknown          nothing
 *
 *   node.spawn(Class) ─▶ TypedPid<Class's instance> ─▶ node.send / call / cast, this.send / ...
 *   a name, an alias or a plain Pid ─▶ unchecked (`unknown`), replies typed by `call<R>`
 *
 * The types are read from a type-only property keyed by `kTypes`, which the behaviour classes
 * declare from their type arguments. They are not inferred from the callbacks' signatures: an
 * override such as `handleCast(): void` or `receive(m: unknown)` would otherwise make every
 * message acceptable.
 */
import type { Address, TypedPid } from './pid.ts'

/** Type-only key of the types a behaviour class declares: never set at run time. */
export declare const kTypes: unique symbol

/** What a behaviour class declares under {@link kTypes}. */
export interface DeclaredTypes<Args, Msg, Call, Cast, Reply> {
  /** What `init` takes. */
  readonly args: Args
  /** What a plain send may carry (an Actor's `receive`, a Server's `handleInfo`). */
  readonly message: Msg
  /** What a call may ask. */
  readonly call: Call
  /** What a cast may carry. */
  readonly cast: Cast
  /** What a call resolves with. */
  readonly reply: Reply
}

/** The declared types of `P`, or `never` when it declares none. */
type Declared<P> = P extends { readonly [kTypes]?: infer D } ? D : never

/** `Known` if `P` declares types, else `unknown` (what an undeclared process accepts). */
type Read<P, Known> = [Declared<P>] extends [never] ? unknown : Known

/**
 * The messages a plain `send` may give a process of class `P`: an Actor's `Msg`, a Server's
 * `Info`; `unknown` for anything else. `node.send`, `this.send` and `sendAfter` check a typed
 * pid's messages with it.
 *
 * @example
 * ```ts
 * type M = MessageOf<Counter>   // { type: 'add'; n: number } | CallMessage<'get'>, for Counter extends Actor<void, that>
 * ```
 */
export type MessageOf<P> = Read<P, Declared<P> extends DeclaredTypes<unknown, infer M, unknown, unknown, unknown> ? M : unknown>

/**
 * The call requests a process of class `P` declares: a Server's `Call` type argument, the
 * `request` of an Actor's `CallMessage<R>` messages; `unknown` for anything else. `Server.call`,
 * `node.call` and `this.call` check a typed pid's requests with it.
 *
 * @example
 * ```ts
 * type R = CallOf<Stack>   // 'pop' | { push: string }, for Stack extends Server<string[], 'pop' | { push: string }, ...>
 * ```
 */
export type CallOf<P> = Read<P, Declared<P> extends DeclaredTypes<unknown, unknown, infer C, unknown, unknown> ? C : unknown>

/** The casts a process of class `P` declares (a Server's `Cast`, an Actor's `CastMessage<R>` requests); `unknown` for anything else. */
export type CastOf<P> = Read<P, Declared<P> extends DeclaredTypes<unknown, unknown, unknown, infer C, unknown> ? C : unknown>

/** The reply type a process of class `P` declares (a Server's `Reply`); `unknown` for anything else. */
export type ReplyOf<P> = Read<P, Declared<P> extends DeclaredTypes<unknown, unknown, unknown, unknown, infer R> ? R : unknown>

/** The `init` arguments a process of class `P` declares (its `Args`); `unknown` for anything else. */
export type ArgsOf<P> = Read<P, Declared<P> extends DeclaredTypes<infer A, unknown, unknown, unknown, unknown> ? A : unknown>

/**
 * The requests among an Actor's messages `Msg` whose `type` is `tag` (`'$call'` or `'$cast'`):
 * `unknown` for an Actor whose messages are `unknown`, `never` for one that declares none.
 */
export type RequestsIn<Msg, Tag extends string> = unknown extends Msg ? unknown
  : Msg extends { readonly type: Tag; readonly request: infer R } ? R : never

// The parameter types of the methods that take an address. `T` is inferred from the address: a
// TypedPid<T> gives its class; a name, an alias or a plain Pid gives nothing, and `T` keeps its
// default `never` (also when the caller names the reply type, as in `call<number>(...)`, since
// TypeScript infers no type argument once one is given). MessageOf<never>, CallOf<never> and
// CastOf<never> are `unknown`, so such an address takes anything.

/** Where a checked send, call or cast can go: a typed pid (then checked), or any address (then not). */
export type AddressOf<T> = TypedPid<T> | Address

/** What a call to an address of `T` resolves with: its declared reply, else `R` (the caller's word). */
export type ReplyTo<T, R> = unknown extends ReplyOf<T> ? R : ReplyOf<T>

/**
 * A behaviour class whose instances are `I` and whose `init` takes `A`: what `spawn` infers the
 * pid's type (`TypedPid<I>`) and the arguments' type from.
 */
export type SpawnableClass<A, I> = new () => I & { init(args: A): unknown }
