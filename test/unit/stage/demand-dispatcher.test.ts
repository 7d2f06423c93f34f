import assert from 'node:assert/strict'
import { DemandDispatcher } from '../../../src/behaviours/stage/dispatchers/demand-dispatcher.ts'
import { ProducerModel, pidOf } from './producer-model.ts'

const pid = pidOf('consumer')
/** Options go in untyped, as a stage's init would pass them. */
const make = (options: Record<string, unknown> = {}) => new DemandDispatcher<string, string>(options)
const demands = (d: DemandDispatcher<string, string>) => d.demands().map(({ sub, demand }) => [sub, demand])

describe('DemandDispatcher', () => {
  describe('GenStage demand_dispatcher_test', () => {
    it('subscribes and cancels', () => {
      const d = make()
      assert.equal(d.subscribe('a', {}, pid), 0)
      assert.deepEqual(demands(d), [['a', 0]])
      assert.equal(d.cancel('a').demand, 0)
      assert.deepEqual(demands(d), [])
      assert.equal(d.pending, 0)
    })

    it('subscribes, asks and cancels', () => {
      const d = make()
      d.subscribe('a', {}, pid)
      assert.equal(d.ask(10, 'a').demand, 10)
      assert.deepEqual(demands(d), [['a', 10]])
      assert.equal(d.maxDemand, 10)
      // The consumer leaves with 10 unmet: that demand is already on its way, so it is kept.
      assert.equal(d.cancel('a').demand, 0)
      assert.equal(d.pending, 10)

      d.subscribe('a', {}, pid)
      assert.equal(d.ask(5, 'a').demand, 0, 'served from the pending demand, not asked again')
      assert.equal(d.pending, 5)
      assert.equal(d.cancel('a').demand, 0)
      assert.equal(d.pending, 10)
    })

    it('subscribes, asks and dispatches', () => {
      const d = make()
      d.subscribe('a', {}, pid)
      assert.equal(d.ask(3, 'a').demand, 3)

      let step = d.dispatch(['a'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['a'] }])
      assert.deepEqual(step.leftover, [])
      assert.deepEqual(demands(d), [['a', 2]])

      assert.equal(d.ask(3, 'a').demand, 3)
      assert.deepEqual(demands(d), [['a', 5]])

      step = d.dispatch(['b', 'c', 'd', 'e', 'f', 'g', 'h'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['b', 'c', 'd', 'e', 'f'] }])
      assert.deepEqual(step.leftover, ['g', 'h'])
      assert.deepEqual(demands(d), [['a', 0]])

      step = d.dispatch(['i', 'j'])
      assert.deepEqual(step.deliveries, [])
      assert.deepEqual(step.leftover, ['i', 'j'])
    })

    it('subscribes, asks multiple consumers', () => {
      const d = make()
      for (const sub of ['a', 'b', 'c']) d.subscribe(sub, {}, pid)
      assert.equal(d.ask(4, 'a').demand, 4)
      assert.equal(d.ask(2, 'b').demand, 2)
      assert.equal(d.ask(3, 'c').demand, 3)
      assert.deepEqual(demands(d), [['a', 4], ['c', 3], ['b', 2]])

      assert.equal(d.ask(2, 'c').demand, 2)
      assert.deepEqual(demands(d), [['c', 5], ['a', 4], ['b', 2]])

      assert.equal(d.ask(4, 'b').demand, 4)
      assert.deepEqual(demands(d), [['b', 6], ['c', 5], ['a', 4]])
    })

    it('subscribes, asks and dispatches to multiple consumers', () => {
      const d = make()
      d.subscribe('a', {}, pid)
      d.subscribe('b', {}, pid)
      d.ask(3, 'a')
      d.ask(2, 'b')
      assert.deepEqual(demands(d), [['a', 3], ['b', 2]])

      // One batch fits all.
      let step = d.dispatch(['a', 'b', 'c', 'd', 'e'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['a', 'b', 'c'] }, { sub: 'b', events: ['d', 'e'] }])
      assert.deepEqual(step.leftover, [])

      step = d.dispatch(['a', 'b', 'c'])
      assert.deepEqual(step.deliveries, [])
      assert.deepEqual(step.leftover, ['a', 'b', 'c'])
      assert.deepEqual(demands(d), [['a', 0], ['b', 0]])

      // Two batches with left-over demand.
      d.ask(3, 'a')
      d.ask(3, 'b')
      assert.deepEqual(demands(d), [['a', 3], ['b', 3]])
      step = d.dispatch(['a', 'b'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['a', 'b'] }])
      assert.deepEqual(demands(d), [['b', 3], ['a', 1]])
      step = d.dispatch(['c', 'd'])
      assert.deepEqual(step.deliveries, [{ sub: 'b', events: ['c', 'd'] }])
      assert.deepEqual(demands(d), [['a', 1], ['b', 1]])

      // Use up the rest; one event is left over.
      step = d.dispatch(['e', 'f', 'g'])
      assert.deepEqual(step.deliveries, [{ sub: 'a', events: ['e'] }, { sub: 'b', events: ['f'] }])
      assert.deepEqual(step.leftover, ['g'])
      assert.deepEqual(demands(d), [['a', 0], ['b', 0]])
    })

    it('subscribes, asks and dispatches to multiple consumers with shuffled demands', () => {
      // A random source that always picks index 0 swaps the two equal-demand consumers.
      let draws = 0
      const d = make({ shuffleDemandsOnFirstDispatch: true, random: () => (draws++, 0) })
      d.subscribe('a', {}, pid)
      d.subscribe('b', {}, pid)
      d.ask(3, 'a')
      d.ask(3, 'b')
      let step = d.dispatch(['a', 'b', 'c', 'd', 'e'])
      assert.deepEqual(step.deliveries, [{ sub: 'b', events: ['a', 'b', 'c'] }, { sub: 'a', events: ['d', 'e'] }])
      assert.equal(draws, 1)
      // Only the first dispatch shuffles.
      d.ask(3, 'b')
      step = d.dispatch(['f'])
      assert.equal(draws, 1)
      assert.deepEqual(step.deliveries, [{ sub: 'b', events: ['f'] }])
    })

    it('delivers info to current process', () => {
      const d = make()
      d.subscribe('a', {}, pid)
      d.subscribe('b', {}, pid)
      d.ask(3, 'a')
      const before = demands(d)
      assert.equal(d.info('hello'), 'now')
      assert.deepEqual(demands(d), before)
    })

    it('warns on demand mismatch', () => {
      const d = make()
      d.subscribe('a', {}, pidOf('a'))
      d.subscribe('b', {}, pidOf('b'))
      assert.deepEqual(d.ask(3, 'a').warnings, [])
      const step = d.ask(4, 'b')
      assert.equal(step.demand, 4, 'a greedy ask is still served')
      assert.deepEqual(step.warnings, [{ type: 'greedy_consumer', sub: 'b', consumer: pidOf('b'), maxDemand: 3, asked: 4 }])
    })
  })

  describe('STG-R17', () => {
    it('STG-T11 gives the consumer with the highest demand its full demand first (demands 3 and 5, 6 events)', () => {
      const d = make()
      d.subscribe('small', {}, pid)
      d.subscribe('big', {}, pid)
      d.ask(3, 'small')
      d.ask(5, 'big')
      const step = d.dispatch(['1', '2', '3', '4', '5', '6'])
      assert.deepEqual(step.deliveries, [{ sub: 'big', events: ['1', '2', '3', '4', '5'] }, { sub: 'small', events: ['6'] }])
      assert.deepEqual(demands(d), [['small', 2], ['big', 0]])
    })

    it('keeps equal demands first come, first served', () => {
      const d = make()
      for (const sub of ['a', 'b', 'c']) d.subscribe(sub, {}, pid)
      d.ask(2, 'c')
      d.ask(2, 'a')
      d.ask(2, 'b')
      assert.deepEqual(d.dispatch(['1', '2', '3']).deliveries.map((x) => x.sub), ['c', 'a'])
    })

    it('checks asks against the maxDemand option from the first ask on', () => {
      const d = make({ maxDemand: 2 })
      d.subscribe('a', {}, pid)
      assert.equal(d.ask(3, 'a').warnings.length, 1)
      assert.equal(d.ask(2, 'a').warnings.length, 0)
    })

    it('serves asks after a cancel from the departed consumer\'s demand before asking upstream (STG-R15)', () => {
      const d = make()
      d.subscribe('a', {}, pid)
      d.subscribe('b', {}, pid)
      // 'a' leaves with 4 asked and none delivered yet: those 4 events are still coming.
      assert.equal(d.ask(4, 'a').demand, 4)
      assert.equal(d.cancel('a').demand, 0)
      assert.equal(d.ask(3, 'b').demand, 0)
      assert.equal(d.ask(3, 'b').demand, 2)
      assert.equal(d.pending, 0)
    })

    it('never delivers beyond demand and loses no event (producer model)', () => {
      const m = new ProducerModel(new DemandDispatcher<number, string>())
      m.subscribe('a')
      m.subscribe('b')
      m.ask(5, 'a')
      m.ask(3, 'b')
      m.emit([100, 101])
      m.ask(4, 'b')
      assert.deepEqual(m.got('a'), [0, 1, 2, 3, 4])
      assert.deepEqual(m.got('b'), [5, 6, 7, 100, 101, 8, 9])
      assert.deepEqual(m.buffer, [])
    })
  })

  describe('errors', () => {
    it('rejects an ask or cancel for an unknown subscription with ERR_STAGE_UNKNOWN_SUBSCRIPTION', () => {
      const d = make()
      assert.throws(() => d.ask(1, 'x'), { code: 'ERR_STAGE_UNKNOWN_SUBSCRIPTION' })
      assert.throws(() => d.cancel('x'), { code: 'ERR_STAGE_UNKNOWN_SUBSCRIPTION' })
    })

    it('rejects a second subscription with the same key with ERR_STAGE_DUPLICATE_SUBSCRIPTION', () => {
      const d = make()
      d.subscribe('a', {}, pid)
      assert.throws(() => d.subscribe('a', {}, pid), { code: 'ERR_STAGE_DUPLICATE_SUBSCRIPTION' })
      assert.deepEqual(demands(d), [['a', 0]])
    })

    it('rejects an ask that is not a positive integer with ERR_INVALID_ARG_VALUE', () => {
      const d = make()
      d.subscribe('a', {}, pid)
      for (const n of [0, -1, 1.5, NaN]) assert.throws(() => d.ask(n, 'a'), { code: 'ERR_INVALID_ARG_VALUE' })
    })

    it('rejects unknown and mistyped options', () => {
      assert.throws(() => make({ shuffle: true }), { code: 'ERR_UNKNOWN_OPTION' })
      assert.throws(() => make({ shuffleDemandsOnFirstDispatch: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' })
      assert.throws(() => make({ maxDemand: 0 }), { code: 'ERR_INVALID_ARG_VALUE', name: 'RangeError' })
    })
  })
})
