/**
 * Skein's public entry. Everything a user imports comes from here (and the test kit from
 * `skein/testing`): the `Node`, the behaviours (Actor, Server, Supervisor, PartitionSupervisor,
 * Pool, Stage, ConsumerSupervisor, WorkerSupervisor; applications through the node), pids and
 * refs, coded errors (`hasCode`), and the message and option types.
 *
 * Guides with runnable examples: `docs/README.md` in the repository.
 *
 * @packageDocumentation
 */
export { Node, type NodeStats, type Monitor } from './node/node.ts'
export type { NodeOptions } from './node/options.ts'
export type { Clock } from './core/clock.ts'
export type { OffloadOptions } from './core/offload.ts'
export { Actor } from './behaviours/actor.ts'
export {
  Server, replyWith, noreply, stop, ignore, type kAction,
  type Next, type ServerAction, type RequestId, type Response,
} from './behaviours/server.ts'
export type { CallOf, CastOf, ReplyOf, MessageOf } from './core/behaviour-types.ts'
export { Supervisor } from './behaviours/supervisor.ts'
export { childSpec } from './behaviours/supervisor-spec.ts'
export type {
  SupervisorSpec, ChildSpec, TypedChildSpec, TypedStart, InitArgsOf, ChildStart, ChildStarted, ChildStartContext, ChildInfo,
  ChildCounts, ChildStartResult, Strategy, RestartType, Shutdown, ChildType, AutoShutdown,
} from './behaviours/supervisor-spec.ts'
export { type ApplicationSpec, type ApplicationContext, type StartType } from './behaviours/application.ts'
export type { ApplicationInfo } from './node/applications.ts'
export type { Report, CrashReport, SupervisorReport, SupervisorEvent, PoolReport, StageReport } from './behaviours/reports.ts'
export type { StrayReport } from './core/stray-report.ts'
export {
  Stage, ConsumerSupervisor, DemandDispatcher, BroadcastDispatcher, PartitionDispatcher, type ConsumerSupervisorSpec,
  type StageSpec, type StageType, type SubscribeOptions, type SubscriptionFrom, type ConsumerFrom, type CancelReason,
  type CancelMode, type Dispatcher,
} from './behaviours/stage/index.ts'
export type { DemandDispatcherOptions } from './behaviours/stage/dispatchers/demand-dispatcher.ts'
export type { PartitionDispatcherOptions, PartitionName, PartitionHash } from './behaviours/stage/dispatchers/partition-dispatcher.ts'
export type { Selector } from './behaviours/stage/dispatchers/broadcast-dispatcher.ts'
export {
  WorkerSupervisor, type ChainOptions, type WorkerSupervisorOptions, type GroupStrategy, type ChainStrategy, type StandaloneRestart,
} from './behaviours/workers/worker-supervisor.ts'
export type { WorkerContext, GroupHandle, WorkerFn, WorkerRef, ChainFn, SendType } from './behaviours/workers/worker-processes.ts'
export { Pool, type PoolSpec, type PoolStats, type PoolStrategy } from './behaviours/pool.ts'
export { PartitionSupervisor, type PartitionSpec, type PartitionChildSpec } from './behaviours/partition-supervisor.ts'
export { Pid, Ref, type Address, type NamedProcess, type TypedPid } from './core/pid.ts'
export { hasCode, type ErrorCode, type SkeinError, type SkeinErrorFields } from './core/errors.ts'
export { isCleanReason, type ExitReason } from './core/exit.ts'
export type {
  ExitMessage, DownMessage, CallMessage, CastMessage, FallbackMessage, From, SystemMessage,
} from './core/envelope.ts'
export { isExitMessage, isDownMessage, isCallMessage } from './core/envelope.ts'
export type {
  ProcessContext, SpawnOptions, StartOptions, Started, Caller, CallOptions, TimerRef, BehaviourClass,
} from './core/process-context.ts'
export type { BehaviourRef } from './process/behaviour-registry.ts'
export type { ThreadStats } from './scheduler/scheduler.ts'
