/** The test kit (`skein/testing`): probes to wait on events instead of sleeping. */
export { Probe, ProbeActor, probe } from './probe.ts'
