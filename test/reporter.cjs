// Mocha's spec reporter plus one closing line CI can read: "N passed, N failed[, N skipped]".
'use strict'
const Mocha = require('mocha')
const { EVENT_RUN_END } = Mocha.Runner.constants

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats
      const skipped = pending > 0 ? `, ${pending} skipped` : ''
      process.stdout.write(`\n${passes} passed, ${failures} failed${skipped}\n`)
    })
  }
}

module.exports = SpecWithTotals
