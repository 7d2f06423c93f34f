/** The seeded PRNG the fuzz tests use (the runtime's own, src/core/prng.ts): the seed is in the test name, so a failure replays. */
export { prng } from '../../src/core/prng.ts'
