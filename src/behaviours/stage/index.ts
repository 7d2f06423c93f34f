/** Stage (GenStage): the behaviour, its protocol types, and the three dispatchers. */
export { Stage, type StageSpec, type StageType } from './stage.ts'
export { ConsumerSupervisor, type ConsumerSupervisorSpec } from './consumer-supervisor.ts'
export type { SubscribeOptions, SubscriptionFrom, ConsumerFrom, CancelReason, CancelMode } from './protocol.ts'
export { DemandDispatcher } from './dispatchers/demand-dispatcher.ts'
export { BroadcastDispatcher } from './dispatchers/broadcast-dispatcher.ts'
export { PartitionDispatcher } from './dispatchers/partition-dispatcher.ts'
export type { Dispatcher } from './dispatchers/dispatcher.ts'
