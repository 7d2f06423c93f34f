/**
 * Type tests: spawn arguments and supervisor child specs. Never run, only type-checked
 * (test/integration/043-types.test.ts, on each TypeScript version the README names). A
 * `// @ts-expect-error: text` line says the next line must fail to compile with an error whose
 * message contains `text`; every other line must compile.
 */
import {
  Actor, Node, PartitionSupervisor, Server, Supervisor, childSpec, type ChildSpec, type Pid, type SupervisorSpec,
} from '../../src/index.ts'

export class Counter extends Server<{ start: number }, 'get', never, number> {}

export class Cache extends Actor<{ size: number; ttl?: number }, unknown> {
  override init(_args: { size: number; ttl?: number }): void {}
  receive(): void {}
}

export class Optional extends Actor<{ verbose: boolean } | undefined, unknown> {
  receive(): void {}
}

export class NoArgs extends Actor {
  receive(): void {}
}

export class WordCounter extends Server<{ partition: number; minLength: number }, 'totals'> {}
export class Partition extends Server<{ partition: number }, 'whoami'> {}

export async function spawns(node: Node): Promise<void> {
  await node.spawn(Counter, { start: 0 })
  // @ts-expect-error: Type 'string' is not assignable to type 'number'
  await node.spawn(Counter, { start: '0' })
  // @ts-expect-error: 'extra' does not exist in type '{ size: number; ttl?: number; }'
  await node.spawn(Cache, { size: 1, extra: true })
}

export class Top extends Supervisor {
  override init(): SupervisorSpec {
    const children: ChildSpec[] = [
      childSpec({ id: 'counter', start: [Counter, { start: 0 }, { thread: 1 }], restart: 'transient' }),
      childSpec({ id: 'cache', start: [Cache, { size: 10 }], shutdown: 'brutal_kill' }),
      childSpec({ id: 'optional', start: [Optional] }),
      childSpec({ id: 'optional-given', start: [Optional, { verbose: true }] }),
      childSpec({ id: 'no-args', start: [NoArgs] }),
      childSpec({ id: 'no-args-placed', start: [NoArgs, undefined, { thread: 'any' }] }),
      childSpec({ id: 'sub', start: [Sub, { level: 1 }], type: 'supervisor' }),
      // @ts-expect-error: Type 'string' is not assignable to type 'number'
      childSpec({ id: 'bad-arg', start: [Counter, { start: '0' }] }),
      // @ts-expect-error: is not assignable to type 'readonly [typeof Counter, { start: number; }, (SpawnOptions | undefined)?]'
      childSpec({ id: 'missing-args', start: [Counter] }),
      // @ts-expect-error: 'extra' does not exist in type '{ size: number; ttl?: number; }'
      childSpec({ id: 'extra-arg', start: [Cache, { size: 1, extra: 1 }] }),
      // @ts-expect-error: 'restrat' does not exist
      childSpec({ id: 'typo', start: [NoArgs], restrat: 'temporary' }),
      // @ts-expect-error: Type '"sometimes"' is not assignable to type 'RestartType'
      childSpec({ id: 'bad-restart', start: [NoArgs], restart: 'sometimes' }),
      // The plain object form still works, unchecked: each child has its own class.
      { id: 'plain', start: [Counter, { start: 0 }] },
    ]
    return { strategy: 'one_for_one', children }
  }
}

export class Sub extends Supervisor<{ level: number }> {
  override init(args: { level: number }): SupervisorSpec {
    return { intensity: args.level, children: [] }
  }
}

export async function partitions(node: Node, sup: Pid): Promise<void> {
  await node.spawn(PartitionSupervisor, {
    name: 'words',
    child: PartitionSupervisor.childSpec({ id: 'counter', start: [WordCounter, { minLength: 3 }] }),
  })
  await node.spawn(PartitionSupervisor, { name: 'p', child: PartitionSupervisor.childSpec({ id: 'p', start: [Partition] }) })
  await node.spawn(PartitionSupervisor, {
    name: 'words',
    // @ts-expect-error: Type 'string' is not assignable to type 'number'
    child: PartitionSupervisor.childSpec({ id: 'counter', start: [WordCounter, { minLength: '3' }] }),
  })
  await node.spawn(PartitionSupervisor, {
    name: 'words',
    // @ts-expect-error: is not assignable to type 'readonly [typeof WordCounter
    child: PartitionSupervisor.childSpec({ id: 'counter', start: [WordCounter] }),
  })
  await Supervisor.startChild(node, sup, childSpec({ id: 'late', start: [Cache, { size: 1 }] }))
}
