// The piscina baseline's task for the thread-scaling row: the same job as Skein's Cruncher.
import { crunch } from '../crunch.ts'

export default function run(seed: number): number {
  return crunch(seed)
}
