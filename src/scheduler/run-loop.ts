/**
 * The thread's run loop: work, spin briefly, then sleep on the doorbell.
 *
 *   turn ─▶ work() until it reports nothing done, the budget is spent or the time slice is over
 *        ├─ budget or slice spent ────▶ setImmediate(turn)   (timers, sockets, the control port)
 *        ├─ a promise a process awaits was settled ─▶ end now; its microtasks run, then a
 *        │                                             fallback turn (setImmediate) if none kicked
 *        ├─ a microtask turn since a process suspended ─▶ end now, fallback turn (no spin)
 *        ├─ incoming within spin ─────▶ work again (bounded rounds per turn)
 *        └─ nothing ─▶ announce SLEEPING ─▶ re-check ─┬▶ light sleep: Atomics.wait(doorbell, ≤ 1 ms);
 *                                                      │  woken: another turn in the same macrotask,
 *                                                      │  else one event-loop pass (timers, I/O)
 *                                                      └▶ deep sleep: Atomics.waitAsync(doorbell)
 * Only a turn that runs as a macrotask (setImmediate) sleeps: the microtask queue was empty when
 * it began. A turn started as a microtask (a kick, a wake-up) may have microtasks queued behind
 * it, such as the continuation of an async callback whose reply just kicked it; a futex wait
 * there would hold that continuation back, so such a turn hands the sleep to a fallback
 * macrotask turn. It does not even spin once a process has suspended since the last macrotask
 * turn (that process's continuation may be what is queued); otherwise it spins, which keeps a
 * call made from outside any process (node.call) answered within the turn that sent it.
 * A turn also ends after `sliceMs` of work (the runner reads the clock every few messages), so a
 * process whose messages are slow cannot hold timers, call timeouts and the control port back
 * for longer than about one slice plus one message (BEAM preempts by reductions; we by time).
 * Light sleep (worker threads only, for `lightSleepMs` after the last work) is a futex wait: a
 * sender's notify wakes it directly, where a waitAsync wake-up goes through the event loop.
 * Its slices are bounded by the next timer, and the event loop runs between slices, so timers
 * fire on time and I/O waits at most one slice.
 * A spin is skipped, and the loop goes straight to sleep, while more scheduler threads are awake
 * than there are cores: the peer it would wait for needs the core it would burn.
 * kick() (a local event: a send from outside a turn, a timer, a settled handler) wakes a sleeping
 * loop with a plain store of AWAKE and runs a turn as a microtask. At most one waitAsync is ever
 * outstanding: a later sleep reuses it, and stop() settles it, so no waiter leaks.
 */
import { announceSleep, cancelSleep, waitForDoorbell } from '../mailbox/doorbell.ts'
import { DOORBELL, LINE_I32, SLEEPING } from '../mailbox/layout.ts'

const MAX_MICRO_TURNS = 16
/** Units of work between clock reads in a turn's rounds. */
const CLOCK_EVERY = 64
/** Light-sleep wake-ups handled in one macrotask before the event loop gets a pass. */
const MAX_WAKES_PER_MACROTASK = 16
/** Longest a light sleep blocks the event loop, in ms. */
const LIGHT_SLICE_MS = 1
const WOKE_SPIN_FACTOR = 4

export interface LoopWork {
  /** Do one round of work; return the number of things done (0 = idle). */
  work(): number
  /** True if anything could be done now without waiting (queued processes). */
  hasLocalWork(): boolean
  /** True if a peer published frames this thread has not read. */
  hasIncoming(): boolean
  /** True if this thread woke a sleeping peer since the last call (clears the flag). */
  wokePeer(): boolean
  /** Milliseconds until the thread's next timer is due (Infinity if none). */
  nextTimerMs(): number
  /** The turn is over (called once at its end, whatever ended it). */
  turnEnded(): void
}

export interface RunLoopOptions {
  /** Work units per macrotask before yielding to the event loop. */
  turnBudget: number
  /** How long an idle loop polls its rings before sleeping, in microseconds. */
  spinMicros: number
  /** Spin-and-work rounds allowed in one macrotask before yielding. */
  maxRounds: number
  /** How long after its last work a thread sleeps lightly (blocking futex waits); 0: never. */
  lightSleepMs: number
  /** Cores this process may use: a spin is skipped while more scheduler threads than this are awake. */
  cores: number
  /** Longest a turn works before yielding to the event loop, in ms. */
  sliceMs: number
}

/** How a turn ended. */
const End = {
  /** Budget or slice spent, or work is queued: another turn after one event-loop pass. */
  YIELD: 0,
  /** Microtasks must run first (a settled promise, or a turn that ran as a microtask). */
  MICROTASKS: 1,
  /** Nothing to do: spin or sleep. */
  IDLE: 2,
} as const
type End = (typeof End)[keyof typeof End]

export class RunLoop {
  readonly #work: LoopWork
  readonly #bells: Int32Array
  readonly #bell: number
  readonly #opts: RunLoopOptions
  #scheduled = false
  #inTurn = false
  #sleeping = false
  /** A waitAsync on our doorbell is outstanding (at most one at a time). */
  #waiting = false
  #stopped = false
  #immediate: ReturnType<typeof setImmediate> | null = null
  /** A turn after the microtasks of a settled promise, unless one was kicked meanwhile. */
  #fallback: ReturnType<typeof setImmediate> | null = null
  /** Turns started as microtasks since the last macrotask; bounded so I/O is never starved. */
  #microTurns = 0
  /** A promise a process awaits was settled (see awaitMicrotasks): do not spin or sleep yet. */
  #microtasksDue = false
  /** A process suspended since the last macrotask turn: microtask turns do not spin. */
  #suspendedSinceMacrotask = false
  #lastWork = 0
  /** When the current turn's time slice ends (performance.now() ms); NaN until first asked. */
  #deadline = NaN
  /** The current turn's slice is over (seen by a clock read; sticky until the next turn). */
  #spent = false
  /** The current turn runs as a macrotask: its slice starts with its first process run. */
  #eagerSlice = false
  turns = 0
  sleeps = 0

  constructor(work: LoopWork, bells: Int32Array, bell: number, opts: RunLoopOptions) {
    this.#work = work
    this.#bells = bells
    this.#bell = bell
    this.#opts = opts
  }

  get inTurn(): boolean {
    return this.#inTurn
  }

  /**
   * A macrotask turn's slice starts when it first runs a process (one clock read per turn). A
   * microtask turn (a kick: a local send, a timer, a reply) is usually one short run, so its
   * slice starts at its first clock read instead, a few messages in; a long one then yields
   * and goes on as macrotask turns.
   */
  startSlice(): void {
    if (this.#eagerSlice && Number.isNaN(this.#deadline)) this.#deadline = performance.now() + this.#opts.sliceMs
  }

  /** True once the current turn has used its time slice: the runner stops taking messages. */
  sliceOver(): boolean {
    if (this.#spent) return true
    const now = performance.now()
    if (Number.isNaN(this.#deadline)) this.#deadline = now + this.#opts.sliceMs
    else if (now >= this.#deadline) this.#spent = true
    return this.#spent
  }

  /**
   * Code a process waits on may run as microtasks once this turn ends: the turn settled a promise
   * (a reply, a start ack, a watched exit) or a callback suspended on one (often already settled).
   * A spin or a light sleep would hold those microtasks back, so the turn ends at once instead,
   * with a fallback turn after them.
   */
  awaitMicrotasks(): void {
    // Also outside a turn (a continuation settling another promise): the next turn must not
    // block in a light sleep while that one's microtasks wait.
    this.#microtasksDue = true
  }

  /** A callback returned a Promise: its continuation runs as microtasks, maybe behind a turn. */
  processSuspended(): void {
    this.#microtasksDue = true
    this.#suspendedSinceMacrotask = true
  }

  /** Make sure a turn will run soon. Cheap to call often. */
  kick(): void {
    if (this.#inTurn || this.#scheduled || this.#stopped) return
    if (this.#sleeping) {
      // Owner wakes itself by a plain store, without notify: a self-notify delays this thread's
      // own setImmediate by tens of µs. The outstanding waitAsync stays pending and serves the
      // next sleep; a sender that still saw SLEEPING just settles it early (a spare wake-up).
      this.#sleeping = false
      cancelSleep(this.#bells, this.#bell)
    }
    this.#scheduled = true
    // A turn for a local event runs as a microtask (a setImmediate hop costs ~10 µs here); a
    // bounded number in a row, then through setImmediate so timers and sockets get their turn.
    if (this.#microTurns < MAX_MICRO_TURNS) {
      this.#microTurns++
      queueMicrotask(this.#turn)
    } else {
      this.#yield()
    }
  }

  #yield(): void {
    this.#scheduled = true
    this.#immediate = setImmediate(this.#macroTurn)
  }

  readonly #macroTurn = (): void => {
    this.#microTurns = 0
    this.#run(true)
  }

  #armFallback(): void {
    if (this.#fallback === null) this.#fallback = setImmediate(this.#fallbackTurn)
  }

  readonly #fallbackTurn = (): void => {
    this.#fallback = null
    if (this.#scheduled || this.#inTurn || this.#stopped) return
    this.#microTurns = 0
    this.#scheduled = true
    this.#run(true)
  }

  stop(): void {
    this.#stopped = true
    if (this.#immediate !== null) clearImmediate(this.#immediate)
    this.#immediate = null
    if (this.#fallback !== null) clearImmediate(this.#fallback)
    this.#fallback = null
    if (this.#sleeping || this.#waiting) {
      this.#sleeping = false
      // Owner, at stop: settle our own outstanding waitAsync so no promise is left pending.
      cancelSleep(this.#bells, this.#bell)
      Atomics.notify(this.#bells, this.#bell)
    }
  }

  /** A turn queued as a microtask (kick). */
  readonly #turn = (): void => {
    this.#run(false)
  }

  /**
   * Run turns: one, or in a macrotask also the ones after light-sleep wake-ups, then schedule
   * what comes next (another turn, a fallback turn, or a sleep).
   */
  #run(macrotask: boolean): void {
    if (!this.#scheduled) return
    this.#scheduled = false
    this.#immediate = null
    if (this.#stopped) return
    if (macrotask) this.#suspendedSinceMacrotask = false
    for (let wakes = 0; ; wakes++) {
      const end = this.#oneTurn(macrotask)
      if (end === End.YIELD) {
        this.#microtasksDue = false
        this.#yield()
        return
      }
      if (end === End.MICROTASKS || !macrotask) {
        // The awaiting code runs as microtasks now; what it sends kicks a turn at once. A fallback
        // turn after them (setImmediate) looks for anything else and lets the loop sleep.
        this.#microtasksDue = false
        this.#armFallback()
        return
      }
      if (!this.#sleep()) return
      // Woken from a light sleep by a peer: work at once, in this macrotask (no microtask ran
      // meanwhile: the thread was blocked), a bounded number of times before the event loop's turn.
      if (wakes >= MAX_WAKES_PER_MACROTASK || this.#stopped) {
        this.#yield()
        return
      }
    }
  }

  #oneTurn(macrotask: boolean): End {
    this.turns++
    this.#inTurn = true
    this.#deadline = NaN
    this.#spent = false
    this.#eagerSlice = macrotask
    try {
      let done = 0
      // The runner reads the clock within long runs; here it is read every CLOCK_EVERY units of
      // work (a round of cheap messages would otherwise pay for a clock read each).
      let clockAt = CLOCK_EVERY
      for (let round = 0; ; round++) {
        let did: number
        while ((did = this.#work.work()) > 0) {
          done += did
          if (done >= this.#opts.turnBudget || this.#spent) break
          if (done >= clockAt) {
            clockAt = done + CLOCK_EVERY
            if (this.sliceOver()) break
          }
        }
        // Only a thread that sleeps lightly asks when it last worked.
        if (done > 0 && this.#opts.lightSleepMs > 0) this.#lastWork = performance.now()
        if (done >= this.#opts.turnBudget || this.#work.hasLocalWork() || this.#spent) return End.YIELD
        if (this.#microtasksDue || (!macrotask && this.#suspendedSinceMacrotask)) return End.MICROTASKS
        if (round >= this.#opts.maxRounds || !this.#spin()) return End.IDLE
      }
    } finally {
      this.#inTurn = false
      this.#work.turnEnded()
    }
  }

  /**
   * Poll for incoming frames for up to spinMicros; true if some arrived. After waking a
   * sleeping peer, spin longer (WOKE_SPIN_FACTOR x): its answer comes after its wake-up, and
   * catching it here saves this thread a wake-up of its own.
   */
  #spin(): boolean {
    const woke = this.#work.wokePeer()
    if (this.#opts.spinMicros <= 0 || this.#oversubscribed()) return this.#work.hasIncoming()
    const micros = woke ? this.#opts.spinMicros * WOKE_SPIN_FACTOR : this.#opts.spinMicros
    const end = performance.now() + micros / 1000
    for (let i = 1; ; i++) {
      if (this.#work.hasIncoming()) return true
      if ((i & 31) === 0 && performance.now() >= end) return false
    }
  }

  /**
   * True if the awake scheduler threads (this one included) outnumber the cores. A spin waits for
   * a peer to answer, and the peer needs a core to do it: with every core taken, spinning only
   * takes one from a thread that has work (the peer, or the thread that would feed it), and the
   * OS time-slices them. Then it is cheaper to sleep and be rung. (Node's main thread runs a
   * scheduler too, so `threads` worker threads on `threads` cores is already one too many.)
   */
  #oversubscribed(): boolean {
    const bells = this.#bells
    let awake = 0
    // Any thread's bell, read only: AWAKE while its owner runs or spins, SLEEPING once it has
    // announced a sleep. A stale read only makes this one spin decision wrong, never a wake-up.
    for (let i = DOORBELL; i < bells.length; i += LINE_I32) if (Atomics.load(bells, i) !== SLEEPING) awake++
    return awake > this.#opts.cores
  }

  /** Announce sleep and sleep; true if a light sleep was woken by a peer (work is waiting). */
  #sleep(): boolean {
    if (this.#stopped) return false
    announceSleep(this.#bells, this.#bell)
    // Re-check after announcing (see doorbell.ts): a frame published before our store is seen
    // here; one published after it finds SLEEPING and rings.
    if (this.#work.hasIncoming() || this.#work.hasLocalWork()) {
      cancelSleep(this.#bells, this.#bell)
      this.kick()
      return false
    }
    this.sleeps++
    if (this.#opts.lightSleepMs > 0 && performance.now() - this.#lastWork < this.#opts.lightSleepMs) {
      return this.#lightSleep()
    }
    this.#sleeping = true
    if (this.#waiting) return false
    const wake = waitForDoorbell(this.#bells, this.#bell)
    if (wake === undefined) {
      this.#sleeping = false
      this.kick()
      return false
    }
    this.#waiting = true
    void wake.then(this.#onWake)
    return false
  }

  /** A futex wait of at most one slice; true if a sender woke us (the caller runs a turn). */
  #lightSleep(): boolean {
    const slice = Math.max(0, Math.min(LIGHT_SLICE_MS, this.#work.nextTimerMs()))
    // Owner blocks on its own bell while it reads SLEEPING: 'ok' when a sender swapped it to
    // AWAKE and notified, 'not-equal' if that happened before the call, else 'timed-out'.
    const woken = Atomics.wait(this.#bells, this.#bell, SLEEPING, slice) !== 'timed-out'
    cancelSleep(this.#bells, this.#bell)
    if (woken) return true
    // Let the event loop run its timers and I/O once, then come back (and sleep again).
    this.#yield()
    return false
  }

  readonly #onWake = (): void => {
    this.#waiting = false
    if (!this.#sleeping) return
    this.#sleeping = false
    // Run at once rather than through setImmediate: this is the wake-up latency path.
    this.#microTurns = 0
    if (!this.#scheduled && !this.#inTurn && !this.#stopped) {
      this.#scheduled = true
      this.#run(false)
    }
  }
}
