/**
 * The test kit (`skein/testing`): probes to wait on events instead of sleeping, a virtual
 * clock for anything that depends on time, and start options that check every send as if it
 * crossed threads (`testNodeOptions`). Guide: `docs/testing.md` in the repository.
 *
 * @packageDocumentation
 */
export { Probe, ProbeActor, probe } from './probe.ts'
export { VirtualClock } from './virtual-clock.ts'
export { testNodeOptions } from './test-node-options.ts'
