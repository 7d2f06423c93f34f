import assert from 'node:assert/strict'
import { BroadcastDispatcher } from '../../../src/behaviours/stage/dispatchers/broadcast-dispatcher.ts'
import { ProducerModel, pidOf } from './producer-model.ts'

type D = BroadcastDispatcher<string, string>
const make = (): D => new BroadcastDispatcher<string, string>()
const sub = (d: D, name: string, opts = {}) => d.subscribe(name, opts, pidOf(name))
const demands = (d: D) => d.demands().map(({ sub, demand }) => [sub, demand])
/** The dispatcher's counters: [waiting, requested]. */
const counters = (d: D) => [d.waiting, d.requested]

describe('BroadcastDispatcher', () => {
  describe('GenStage broadcast_dispatcher_test', () => {
    it('subscribes and cancels', () => {
      const d = make()
      assert.equal(sub(d, 'a'), 0)
      assert.deepEqual(demands(d), [['a', 0]])
      assert.equal(d.cancel('a').demand, 0)
      assert.deepEqual(demands(d), [])
      assert.deepEqual(counters(d), [0, 0])
    })

    it('subscribes, asks, and cancels', () => {
      const d = make()
      sub(d, 'a')
      assert.equal(d.ask(10, 'a').demand, 10)
      assert.deepEqual(counters(d), [10, 10])
      assert.equal(d.cancel('a').demand, 0)
      assert.deepEqual(counters(d), [0, 10], 'the 10 asked upstream are still coming')

      // With no consumer every event is left over. Unlike GenStage, the events still count
      // against what was asked upstream (they answered it): requested 10 → 7.
      const step = d.dispatch(['1', '2', '3'])
      assert.deepEqual(step.deliveries, [])
      assert.deepEqual(step.leftover, ['1', '2', '3'])
      assert.deepEqual(counters(d), [0, 7])
    })

    it('multiple subscriptions with early demand', () => {
      const d = make()
      sub(d, 'a')
      assert.equal(d.ask(10, 'a').demand, 10)
      assert.deepEqual(counters(d), [10, 10])
      // The newcomer has asked nothing: the 10 go back to 'a', and broadcasting pauses.
      assert.equal(sub(d, 'b'), 0)
      assert.deepEqual(demands(d), [['a', 10], ['b', 0]])
      assert.deepEqual(counters(d), [0, 10])
      assert.equal(d.cancel('a').demand, 0)
      assert.deepEqual(demands(d), [['b', 0]])
      assert.equal(d.ask(10, 'b').demand, 0, 'the 10 already asked upstream serve it')
      assert.deepEqual(counters(d), [10, 10])
    })

    it('multiple subscriptions with late demand', () => {
      const d = make()
      sub(d, 'a')
      sub(d, 'b')
      assert.equal(d.ask(10, 'a').demand, 0)
      assert.deepEqual(demands(d), [['a', 10], ['b', 0]])
      assert.equal(d.cancel('b').demand, 10, 'the slowest consumer left: its peers\' demand is released')
      assert.deepEqual(demands(d), [['a', 0]])
      assert.deepEqual(counters(d), [10, 10])
      assert.equal(d.ask(10, 'a').demand, 10)
      assert.deepEqual(counters(d), [20, 20])
    })

    it('subscribes, asks and dispatches to multiple consumers', () => {
      const d = make()
      sub(d, 'a')
      sub(d, 'b')
      assert.equal(d.ask(3, 'a').demand, 0)
      assert.equal(d.ask(2, 'b').demand, 2)
      assert.deepEqual(demands(d), [['a', 1], ['b', 0]])
      assert.deepEqual(counters(d), [2, 2])

      // One batch fits all.
      let step = d.dispatch(['a', 'b'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['a', 'b'] }, { sub: 'b', events: ['a', 'b'] }])
      assert.deepEqual(step.leftover, [])
      assert.deepEqual(counters(d), [0, 0])

      // A batch with left-over.
      assert.equal(d.ask(2, 'b').demand, 1)
      step = d.dispatch(['c', 'd'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['c'] }, { sub: 'b', events: ['c'] }])
      assert.deepEqual(step.leftover, ['d'])
      assert.deepEqual(demands(d), [['a', 0], ['b', 1]])
      assert.deepEqual(counters(d), [0, 0])

      // A batch with no demand.
      step = d.dispatch(['d'])
      assert.deepEqual(step.deliveries, [])
      assert.deepEqual(step.leftover, ['d'])

      // A late subscriber pauses broadcasting.
      assert.equal(d.ask(1, 'a').demand, 1)
      sub(d, 'c')
      step = d.dispatch(['d', 'e'])
      assert.deepEqual(step.deliveries, [])
      assert.deepEqual(step.leftover, ['d', 'e'])
      assert.deepEqual(demands(d), [['a', 1], ['b', 1], ['c', 0]])

      // Even out. GenStage returns 2 for the last ask: it still expects one event for the
      // ask of 1 above, though 'd' and 'e' answered it (they are in the producer's buffer).
      assert.equal(d.ask(2, 'a').demand, 0)
      assert.equal(d.ask(2, 'b').demand, 0)
      assert.equal(d.ask(3, 'c').demand, 3)
      step = d.dispatch(['d', 'e', 'f'])
      assert.deepEqual(step.deliveries.map((x) => [x.sub, x.events]), [['a', ['d', 'e', 'f']], ['b', ['d', 'e', 'f']], ['c', ['d', 'e', 'f']]])
      assert.deepEqual(demands(d), [['a', 0], ['b', 0], ['c', 0]])
      assert.deepEqual(counters(d), [0, 0])
    })

    it('subscribes, asks, dispatches, and repeats', () => {
      const d = make()
      sub(d, 'a')
      assert.equal(d.ask(10, 'a').demand, 10)
      let step = d.dispatch(['a', 'b', 'c'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['a', 'b', 'c'] }])
      assert.deepEqual(counters(d), [7, 7])

      sub(d, 'b')
      assert.deepEqual(demands(d), [['a', 7], ['b', 0]])
      assert.deepEqual(counters(d), [0, 7])
      assert.equal(d.ask(20, 'b').demand, 0, 'the 7 still coming serve both')
      assert.deepEqual(demands(d), [['a', 0], ['b', 13]])
      assert.deepEqual(counters(d), [7, 7])

      const seven = ['d', 'e', 'f', 'g', 'h', 'i', 'j']
      step = d.dispatch(seven)
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: seven }, { sub: 'b', events: seven }])
      assert.deepEqual(counters(d), [0, 0])
    })

    it('subscribes, asks, cancels, and dispatcher reuses events for another subscriber', () => {
      const d = make()
      sub(d, 'a')
      assert.equal(d.ask(10, 'a').demand, 10)
      assert.equal(d.cancel('a').demand, 0)
      assert.deepEqual(counters(d), [0, 10])
      sub(d, 'b')
      assert.equal(d.ask(5, 'b').demand, 0)
      assert.deepEqual(counters(d), [5, 10])
      const step = d.dispatch(['a', 'b', 'c'])
      assert.deepEqual(step.deliveries, [{ sub: 'b', events: ['a', 'b', 'c'] }])
      assert.deepEqual(counters(d), [2, 7])
    })

    it('cancels blocking subscriber while there is already a requested demand', () => {
      const d = make()
      sub(d, 'a')
      assert.equal(d.ask(10, 'a').demand, 10)
      sub(d, 'b')
      assert.equal(d.ask(5, 'a').demand, 0)
      assert.deepEqual(demands(d), [['a', 15], ['b', 0]])
      assert.deepEqual(counters(d), [0, 10])
      assert.equal(d.cancel('b').demand, 5, 'only what the 10 on their way do not cover')
      assert.deepEqual(demands(d), [['a', 0]])
      assert.deepEqual(counters(d), [15, 15])
    })

    it('subscribing with a selector function', () => {
      const d = new BroadcastDispatcher<{ key: string }, string>()
      d.subscribe('pre', { selector: (e: { key: string }) => e.key.startsWith('pre') }, pidOf('pre'))
      d.subscribe('pref', { selector: (e: { key: string }) => e.key.startsWith('pref') }, pidOf('pref'))
      assert.equal(d.ask(4, 'pref').demand, 0)
      assert.equal(d.ask(4, 'pre').demand, 4)
      const events = [{ key: 'pref-1234' }, { key: 'pref-5678' }, { key: 'pre0000' }, { key: 'foo0000' }]
      const step = d.dispatch(events)
      assert.deepEqual(step.leftover, [])
      assert.deepEqual(step.deliveries, [
        { sub: 'pre', events: [{ key: 'pref-1234' }, { key: 'pref-5678' }, { key: 'pre0000' }] },
        { sub: 'pref', events: [{ key: 'pref-1234' }, { key: 'pref-5678' }] },
      ])
      assert.deepEqual(step.recredits, [{ sub: 'pre', n: 1 }, { sub: 'pref', n: 2 }])
    })

    it('delivers info to current process', () => {
      const d = make()
      sub(d, 'a')
      sub(d, 'b')
      d.ask(3, 'a')
      const before = [demands(d), counters(d)]
      assert.equal(d.info('hello'), 'now')
      assert.deepEqual([demands(d), counters(d)], before)
    })

    it('subscribing is idempotent', () => {
      const d = make()
      d.subscribe('first', {}, pidOf('same'))
      assert.throws(() => d.subscribe('second', {}, pidOf('same')), { code: 'ERR_STAGE_ALREADY_SUBSCRIBED' })
      assert.deepEqual(demands(d), [['first', 0]])
    })
  })

  describe('STG-R18', () => {
    it('asks upstream once for consumers with max demand 10 and 20 (no duplicate upstream demand)', () => {
      const m = new ProducerModel(new BroadcastDispatcher<number, string>())
      m.subscribe('ten')
      m.subscribe('twenty')
      m.ask(10, 'ten')
      m.ask(20, 'twenty')
      assert.deepEqual(m.upstream, [10])
      assert.deepEqual(m.got('ten'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      assert.deepEqual(m.got('twenty'), m.got('ten'))
    })

    it('lets the slowest consumer set the pace', () => {
      const m = new ProducerModel(new BroadcastDispatcher<number, string>())
      m.subscribe('fast')
      m.subscribe('slow')
      m.ask(10, 'fast')
      m.ask(2, 'slow')
      assert.deepEqual(m.got('fast'), [0, 1])
      assert.deepEqual(m.got('slow'), [0, 1])
      m.ask(3, 'slow')
      assert.deepEqual(m.got('fast'), [0, 1, 2, 3, 4])
      assert.deepEqual(m.upstream, [2, 3])
    })

    it('re-credits what a selector filters out: a consumer of even numbers keeps receiving without asking again', () => {
      const m = new ProducerModel(new BroadcastDispatcher<number, string>())
      m.subscribe('all')
      m.subscribe('even', { selector: (n: number) => n % 2 === 0 })
      m.ask(4, 'all')
      m.ask(4, 'even')
      assert.deepEqual(m.got('all'), [0, 1, 2, 3])
      // 'even' got 2 of the 4 it asked for; the 2 odd ones were credited back, so when 'all'
      // asks again the pair can go on without 'even' asking.
      assert.deepEqual(m.got('even'), [0, 2])
      m.ask(2, 'all')
      assert.deepEqual(m.got('all'), [0, 1, 2, 3, 4, 5])
      assert.deepEqual(m.got('even'), [0, 2, 4])
      assert.ok(m.got('even').every((n) => n % 2 === 0))
    })

    it('pauses for a subscriber that has not asked, and a stale one, once cancelled, unblocks the others', () => {
      const m = new ProducerModel(new BroadcastDispatcher<number, string>())
      m.subscribe('a')
      m.subscribe('stale')
      m.ask(5, 'a')
      assert.deepEqual(m.got('a'), [], 'nothing while stale has asked nothing')
      assert.deepEqual(m.upstream, [])
      m.cancel('stale')
      assert.deepEqual(m.got('a'), [0, 1, 2, 3, 4])
    })

    it('serves a newcomer from the buffer when events arrived while it had not asked (no stall)', () => {
      const m = new ProducerModel(new BroadcastDispatcher<number, string>())
      const d = m.dispatcher as BroadcastDispatcher<number, string>
      m.subscribe('a')
      assert.equal(d.ask(10, 'a').demand, 10) // asked upstream; the events come later
      m.subscribe('b')
      m.emit([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) // nobody may take them yet: buffered
      assert.deepEqual(m.buffer.length, 10)
      m.ask(10, 'b')
      assert.deepEqual(m.got('a'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      assert.deepEqual(m.got('b'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      assert.deepEqual(m.buffer, [])
    })

    it('cancelling the last consumer keeps what is on its way for the next one', () => {
      const m = new ProducerModel(new BroadcastDispatcher<number, string>())
      const d = m.dispatcher as BroadcastDispatcher<number, string>
      m.subscribe('a')
      assert.equal(d.ask(3, 'a').demand, 3) // asked upstream; the events come later
      m.cancel('a')
      m.subscribe('b')
      m.ask(3, 'b')
      assert.deepEqual(m.upstream, [], 'not asked upstream again')
      m.emit([0, 1, 2])
      assert.deepEqual(m.got('b'), [0, 1, 2])
      assert.deepEqual(m.buffer, [])
    })
  })

  describe('errors', () => {
    it('rejects a selector that is not a function with ERR_INVALID_ARG_TYPE', () => {
      assert.throws(() => sub(make(), 'a', { selector: 'even' }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' })
    })

    it('rejects a duplicate key, an unknown subscription, a bad ask and any option', () => {
      const d = make()
      sub(d, 'a')
      assert.throws(() => d.subscribe('a', {}, pidOf('other')), { code: 'ERR_STAGE_DUPLICATE_SUBSCRIPTION' })
      assert.throws(() => d.ask(1, 'x'), { code: 'ERR_STAGE_UNKNOWN_SUBSCRIPTION' })
      assert.throws(() => d.cancel('x'), { code: 'ERR_STAGE_UNKNOWN_SUBSCRIPTION' })
      assert.throws(() => d.ask(0, 'a'), { code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => new BroadcastDispatcher({ selector: () => true } as never), { code: 'ERR_UNKNOWN_OPTION' })
    })
  })
})
