/**
 * Frame kinds carried by the rings. The header words `a`, `b` hold the target pid's `id` and
 * `serial` for every process-addressed frame, so routing needs no decoding; the cbor payload
 * carries the rest.
 *
 *   SEND       payload: message
 *   SPAWN      payload: [behaviourKey, args, flags, linkTo | null, ackRef | null, ackPid | null, name | null,
 *                         options | null]
 *   LINK       payload: from pid                         (create the reverse half of a link)
 *   UNLINK     payload: from pid
 *   EXIT       payload: [from, reason, EXIT_* kind]       (exit signal)
 *   MONITOR    payload: [watcher, ref, name | null]
 *   DEMONITOR  payload: ref
 *   DOWN       payload: [ref, pid | {name,node}, reason]
 *   REPLY      payload: [ref, value, isError, unwatched]   (unwatched: the replier dropped the call's watcher)
 *   CALL       payload: [caller, ref, request]   (a call: watch for `caller` under `ref`, then the $call message)
 *   DIRECT     payload: { type: '$direct', from, request }   (into the directbox, not the mailbox)
 *   CHUNK      payload: a piece of a frame too large for the ring; the piece that ends it has
 *              the CONTINUED bit set on its own kind.
 *   CODEC_RESET  no payload: the writer started a fresh encoder; start a fresh decoder.
 *   ABANDON    no payload: the pid (a, b) was allocated here but its spawn failed at the spawner.
 */
export const Frame = {
  SEND: 1,
  SPAWN: 2,
  LINK: 3,
  UNLINK: 4,
  EXIT: 5,
  MONITOR: 6,
  DEMONITOR: 7,
  DOWN: 8,
  REPLY: 9,
  CHUNK: 10,
  CODEC_RESET: 11,
  DIRECT: 12,
  ABANDON: 13,
  CALL: 14,
} as const

export const CONTINUED = 0x100
export const KIND_MASK = 0xff

/** How an exit signal came about (PROC-R5). */
export const ExitKind = {
  /** A linked process ended; dropped if the link is gone by the time it arrives. */
  LINK: 0,
  /** exit(pid, reason) called by `from`. */
  CALL: 1,
} as const
export type ExitKind = (typeof ExitKind)[keyof typeof ExitKind]

/** SPAWN flags. */
export const SpawnFlag = {
  TRAP_EXIT: 1,
} as const
