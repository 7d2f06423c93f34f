/**
 * The test kit (`skein/testing`): probes to wait on events instead of sleeping, and a virtual
 * clock for anything that depends on time. Guide: `docs/testing.md` in the repository.
 *
 * @packageDocumentation
 */
export { Probe, ProbeActor, probe } from './probe.ts'
export { VirtualClock } from './virtual-clock.ts'
