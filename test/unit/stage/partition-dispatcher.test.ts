import assert from 'node:assert/strict'
import {
  PartitionDispatcher, type PartitionDispatcherOptions, type PartitionHash,
} from '../../../src/behaviours/stage/dispatchers/partition-dispatcher.ts'
import { ProducerModel, pidOf } from './producer-model.ts'

type D = PartitionDispatcher<number, string>
const make = (options: PartitionDispatcherOptions<number>): D => new PartitionDispatcher<number, string>(options)
const sub = (d: D, name: string, partition: unknown) => d.subscribe(name, { partition }, pidOf(name))
/** [waiting, pending], as the upstream tests check them. */
const counters = (d: D) => [d.waiting, d.pending]
/** Everything to partition 0 (upstream's default hash happened to send these events there). */
const toZero: PartitionHash<number> = (e) => [e, 0]
const oddEven: PartitionHash<number> = (e) => [e, e % 2 === 0 ? 'even' : 'odd']

describe('PartitionDispatcher', () => {
  describe('GenStage partition_dispatcher_test', () => {
    it('subscribes, asks and cancels', () => {
      const d = make({ partitions: 2 })
      assert.equal(sub(d, 'a', 0), 0)
      assert.equal(d.ask(10, 'a').demand, 10)
      assert.deepEqual(counters(d), [10, 0])
      assert.equal(d.cancel('a').demand, 0)
      assert.deepEqual(counters(d), [10, 10], 'the 10 on their way are kept as pending')

      sub(d, 'b', 1)
      assert.equal(d.ask(5, 'b').demand, 0)
      assert.deepEqual(counters(d), [10, 5])
      assert.equal(d.cancel('b').demand, 0)
      assert.deepEqual(counters(d), [10, 10])

      // No consumers: the events are queued in their partitions, none is left over.
      const step = d.dispatch([0, 1, 2, 3])
      assert.deepEqual(step.deliveries, [])
      assert.deepEqual(step.leftover, [])
      assert.deepEqual(counters(d), [6, 10])
      assert.equal(d.queued(0) + d.queued(1), 4)
    })

    it('subscribes, asks and dispatches', () => {
      const d = make({ partitions: 1 })
      sub(d, 'a', 0)
      assert.equal(d.ask(3, 'a').demand, 3)
      let step = d.dispatch([1])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: [1] }])
      assert.deepEqual(step.leftover, [])
      assert.deepEqual(counters(d), [2, 0])

      assert.equal(d.ask(3, 'a').demand, 3)
      assert.deepEqual(counters(d), [5, 0])
      step = d.dispatch([2, 5, 6, 7, 8, 9, 11])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: [2, 5, 6, 7, 8] }])
      assert.deepEqual(step.leftover, [9, 11])
      assert.deepEqual(counters(d), [0, 0])
    })

    it('subscribes, asks and dispatches to custom partitions', () => {
      const d = make({ partitions: ['odd', 'even'], hash: oddEven })
      sub(d, 'a', 'odd')
      assert.equal(d.ask(3, 'a').demand, 3)
      let step = d.dispatch([1])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: [1] }])
      assert.deepEqual(counters(d), [2, 0])

      assert.equal(d.ask(3, 'a').demand, 3)
      step = d.dispatch([5, 7, 9, 11, 13, 15, 17])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: [5, 7, 9, 11, 13] }])
      assert.deepEqual(step.leftover, [15, 17])
      assert.deepEqual(counters(d), [0, 0])
    })

    it('subscribes, asks and dispatches to partitions or none', () => {
      const hash: PartitionHash<number> = (e) => (e % 3 === 0 ? 'none' : [e, e % 2 === 0 ? 'even' : 'odd'])
      const d = make({ partitions: ['odd', 'even'], hash })
      sub(d, 'evens', 'even')
      sub(d, 'odds', 'odd')
      assert.equal(d.ask(4, 'evens').demand, 4)
      assert.equal(d.ask(4, 'odds').demand, 4)
      // Discarded events use no demand: 8 events reach the partitions, 12 is left over.
      const step = d.dispatch([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
      assert.deepEqual(step.deliveries, [{ sub: 'odds', events: [1, 5, 7, 11] }, { sub: 'evens', events: [2, 4, 8, 10] }])
      assert.deepEqual(step.leftover, [12])
      assert.deepEqual(counters(d), [0, 0])
    })

    it('buffers events before subscription', () => {
      const d = make({ partitions: 2, hash: toZero })
      sub(d, 'one', 1)
      assert.equal(d.ask(5, 'one').demand, 5)
      let step = d.dispatch([1, 2, 5, 6, 7])
      assert.deepEqual(step.deliveries, [], 'partition 0 has no consumer yet')
      assert.deepEqual(step.leftover, [])
      assert.deepEqual(counters(d), [0, 0])
      step = d.dispatch([8, 9])
      assert.deepEqual(step.leftover, [8, 9])

      sub(d, 'zero', 0)
      const asked = d.ask(5, 'zero')
      assert.equal(asked.demand, 5)
      assert.deepEqual(asked.deliveries, [{ sub: 'zero', events: [1, 2, 5, 6, 7] }])
      assert.deepEqual(counters(d), [5, 0])
      d.dispatch([1, 2])
      assert.deepEqual(counters(d), [3, 0])
    })

    it('buffers events after subscription', () => {
      const d = make({ partitions: 2, hash: toZero })
      sub(d, 'zero', 0)
      assert.equal(d.ask(5, 'zero').demand, 5)
      sub(d, 'one', 1)
      assert.equal(d.ask(5, 'one').demand, 5)
      assert.deepEqual(counters(d), [10, 0])

      // Everything goes to partition 0: half of it is queued there.
      assert.deepEqual(d.dispatch([1, 2]).deliveries, [{ sub: 'zero', events: [1, 2] }])
      const step = d.dispatch([5, 6, 7, 1, 2, 5, 6, 7])
      assert.deepEqual(step.deliveries, [{ sub: 'zero', events: [5, 6, 7] }])
      assert.deepEqual(step.leftover, [])
      assert.deepEqual(counters(d), [0, 0])
      assert.equal(d.queued(0), 5)

      const asked = d.ask(5, 'zero')
      assert.equal(asked.demand, 5)
      assert.deepEqual(asked.deliveries, [{ sub: 'zero', events: [1, 2, 5, 6, 7] }])
      assert.deepEqual(counters(d), [5, 0])
    })

    it('subscribes, asks and cancels with buffer', () => {
      const d = make({ partitions: 2, hash: toZero })
      sub(d, 'one', 1)
      assert.equal(d.ask(5, 'one').demand, 5)
      sub(d, 'zero', 0)
      const step = d.dispatch([1, 2, 5, 6, 7])
      assert.deepEqual(step.deliveries, [])
      assert.deepEqual(counters(d), [0, 0])

      // The info waits behind the queue and is not counted as an event.
      assert.equal(d.info('hello'), 'queued')
      const cancelled = d.cancel('zero')
      assert.equal(cancelled.demand, 5, 'the dropped queue is asked upstream again')
      assert.deepEqual(cancelled.infos, ['hello'])
      assert.deepEqual(counters(d), [5, 0])
    })

    it('delivers info to current process', () => {
      const d = make({ partitions: 2 })
      sub(d, 'zero', 0)
      sub(d, 'one', 1)
      d.ask(3, 'one')
      const before = counters(d)
      assert.equal(d.info('hello'), 'now')
      assert.deepEqual(counters(d), before)
    })

    it('does not queue info for non-existing consumers', () => {
      assert.equal(make({ partitions: 2 }).info('hello'), 'now')
    })

    it('queues info to backed up consumers', () => {
      const d = make({ partitions: 2, hash: toZero })
      sub(d, 'zero', 0)
      sub(d, 'one', 1)
      assert.equal(d.ask(3, 'one').demand, 3)
      assert.deepEqual(d.dispatch([1, 2, 5]).deliveries, [])

      assert.equal(d.info('hello'), 'queued')
      const asked = d.ask(5, 'zero')
      assert.equal(asked.demand, 5)
      assert.deepEqual(asked.deliveries, [{ sub: 'zero', events: [1, 2, 5] }])
      assert.deepEqual(asked.infos, ['hello'])
    })

    it('raises on unknown partition', () => {
      const d = make({ partitions: ['foo', 'bar'], hash: (e) => [e, 'oops'] })
      sub(d, 'a', 'foo')
      d.ask(3, 'a')
      assert.throws(() => d.dispatch([1, 2, 5]), { code: 'ERR_STAGE_UNKNOWN_PARTITION', name: 'RangeError', message: /"oops".*"foo", "bar"/ })
      assert.deepEqual(counters(d), [3, 0], 'a failed dispatch changes nothing')
    })

    it('errors if the :hash function returns a bad value', () => {
      const d = make({ partitions: ['foo', 'bar'], hash: (() => 'not a pair') as never })
      sub(d, 'a', 'foo')
      d.ask(3, 'a')
      assert.throws(() => d.dispatch([1, 2, 5]), { code: 'ERR_STAGE_BAD_HASH' })
    })

    it('errors on init', () => {
      assert.throws(() => new PartitionDispatcher({} as never), { code: 'ERR_INVALID_ARG_TYPE' })
      assert.throws(() => new PartitionDispatcher(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' })
      assert.throws(() => make({ partitions: ['even', 'odd'] }), { code: 'ERR_STAGE_HASH_REQUIRED' })
      assert.throws(() => make({ partitions: 0 }), { code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => make({ partitions: [] }), { code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => make({ partitions: [1, 1] }), { code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => make({ partitions: 2, hash: 'mod' as never }), { code: 'ERR_INVALID_ARG_TYPE' })
      assert.throws(() => make({ partitions: 2, keys: 2 } as never), { code: 'ERR_UNKNOWN_OPTION' })
    })

    it('errors on subscribe', () => {
      const d = make({ partitions: 2 })
      assert.throws(() => d.subscribe('a', {}, pidOf('a')), { code: 'ERR_STAGE_PARTITION_REQUIRED', name: 'TypeError' })
      sub(d, 'a', 0)
      assert.throws(() => sub(d, 'b', 0), { code: 'ERR_STAGE_PARTITION_TAKEN' })
      for (const p of [-1, 2, 'oops', '0']) {
        assert.throws(() => sub(d, 'b', p), { code: 'ERR_STAGE_UNKNOWN_PARTITION', message: /known partitions are 0, 1/ })
      }
      assert.throws(() => sub(d, 'a', 1), { code: 'ERR_STAGE_DUPLICATE_SUBSCRIPTION' })
    })
  })

  describe('STG-R19', () => {
    it('routes 15 events over 3 partitions, discards 3, and queues a partition without consumer until it subscribes and asks', () => {
      // Multiples of 5 are discarded; the rest go to partition n % 3.
      const hash: PartitionHash<number> = (n) => (n % 5 === 0 ? 'none' : [n, n % 3])
      const m = new ProducerModel(new PartitionDispatcher<number, string>({ partitions: 3, hash }))
      m.subscribe('p0', { partition: 0 })
      m.subscribe('p1', { partition: 1 })
      m.ask(5, 'p0')
      m.ask(5, 'p1')
      // Events 0..9 came: 0 and 5 were discarded, 2 and 8 wait for partition 2.
      assert.deepEqual(m.got('p0'), [3, 6, 9])
      assert.deepEqual(m.got('p1'), [1, 4, 7])
      m.ask(2, 'p0')
      m.ask(3, 'p1')
      assert.ok(m.got('p0').every((n) => n % 3 === 0 && n % 5 !== 0))
      assert.ok(m.got('p1').every((n) => n % 3 === 1 && n % 5 !== 0))
      const d = m.dispatcher as PartitionDispatcher<number, string>
      const held = d.queued(2)
      assert.equal(held, 4, 'partition 2 has no consumer: its events wait')
      m.subscribe('p2', { partition: 2 })
      m.ask(held, 'p2')
      // Of events 0..14 (multiples of 5 dropped), partition 2's, in order.
      assert.deepEqual(m.got('p2'), [2, 8, 11, 14])
    })

    it('delivers a partition\'s queue when that partition asks, without holding up the others', () => {
      const d = make({ partitions: ['odd', 'even'], hash: oddEven })
      sub(d, 'odd', 'odd')
      sub(d, 'even', 'even')
      d.ask(2, 'odd')
      d.ask(4, 'even')
      const step = d.dispatch([1, 3, 5, 7])
      assert.deepEqual(step.deliveries, [{ sub: 'odd', events: [1, 3] }])
      assert.equal(d.queued('odd'), 2)
      assert.deepEqual(d.dispatch([2, 9]).deliveries, [{ sub: 'even', events: [2] }], 'even is served; 9 joins odd\'s queue')
      assert.deepEqual(d.ask(2, 'odd').deliveries, [{ sub: 'odd', events: [5, 7] }])
      assert.deepEqual(d.ask(1, 'odd').deliveries, [{ sub: 'odd', events: [9] }])
      assert.equal(d.queued('odd'), 0)
    })

    it('holds an info until every queue that had events has drained, and keeps infos in order', () => {
      // A third partition no event maps to supplies enough upstream demand.
      const d = make({ partitions: ['odd', 'even', 'other'], hash: oddEven })
      sub(d, 'odd', 'odd')
      sub(d, 'even', 'even')
      sub(d, 'other', 'other')
      d.ask(1, 'odd')
      d.ask(1, 'even')
      d.ask(2, 'other')
      d.dispatch([1, 3, 2, 4]) // odd: 1 out, 3 queued; even: 2 out, 4 queued
      assert.equal(d.info('first'), 'queued')
      assert.equal(d.ask(1, 'odd').infos.length, 0, 'even still holds events from before the info')
      assert.equal(d.info('second'), 'queued', 'even still has a queue')
      const step = d.ask(1, 'even')
      assert.deepEqual(step.deliveries, [{ sub: 'even', events: [4] }])
      assert.deepEqual(step.infos, ['first', 'second'])
    })

    it('releases an info as soon as the events ahead of it are out, not on the partition\'s next ask', () => {
      const d = make({ partitions: 2, hash: toZero })
      sub(d, 'a', 0)
      sub(d, 'b', 1)
      d.ask(1, 'a')
      d.ask(1, 'b')
      assert.deepEqual(d.dispatch([1, 2]).deliveries, [{ sub: 'a', events: [1] }])
      assert.equal(d.info('sync'), 'queued')
      const step = d.ask(1, 'a')
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: [2] }])
      assert.deepEqual(step.infos, ['sync'])
      assert.equal(d.info('next'), 'now', 'the drained queue is gone')
    })

    it('hashes events stably by default, the same value to the same partition', () => {
      const d = new PartitionDispatcher<unknown, string>({ partitions: 4 })
      for (const p of [0, 1, 2, 3]) d.subscribe(`p${p}`, { partition: p }, pidOf(`p${p}`))
      for (const p of [0, 1, 2, 3]) d.ask(100, `p${p}`)
      const events = ['a', 'b', 7, 7n, true, { id: 1 }, [1, 2], 'a', { id: 1 }]
      const where = new Map<string, string>()
      for (const { sub, events: got } of d.dispatch(events).deliveries) for (const e of got) {
        const key = JSON.stringify(e, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
        assert.equal(where.get(key) ?? sub, sub, `${key} always goes to one partition`)
        where.set(key, sub)
      }
      assert.equal(where.size, 7)
      assert.throws(() => d.dispatch([() => 1]), { code: 'ERR_INVALID_ARG_TYPE' })
    })
  })
})
