/**
 * Application: two applications, 'storage' and 'web' (which needs storage). Starting web starts
 * storage first; each child reads its application's env; stopping web leaves storage running;
 * a temporary application whose child dies is only reported (the applicationExit event).
 * Run: node --import tsx docs/examples/application.ts
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { isMainThread } from 'node:worker_threads'
import { Node, Server, type Pid } from '../../src/index.ts'

/** A bounded key-value store; its capacity comes from the application's env. */
export class Store extends Server<void, { get: string } | { put: string; value: string } | 'capacity', never, unknown> {
  capacity = 0
  data = new Map<string, string>()

  override init() {
    this.capacity = this.env('capacity') as number
  }

  override handleCall(request: { get: string } | { put: string; value: string } | 'capacity') {
    if (request === 'capacity') return this.capacity
    if ('get' in request) return this.data.get(request.get)
    if (this.data.size >= this.capacity) return 'full'
    this.data.set(request.put, request.value)
    return 'ok'
  }
}

/** Greets by name, remembering visitors in the store (a process of the other application). */
export class Greeter extends Server<void, { hello: string }, never, string> {
  override async handleCall(request: { hello: string }) {
    const seen = await this.call('store', { get: request.hello })
    if (seen === undefined) await this.call('store', { put: request.hello, value: 'seen' })
    return `${this.env('greeting') as string}, ${request.hello}${seen === undefined ? '' : ' (again)'}`
  }
}

async function main(): Promise<void> {
  const node = await Node.start({ threads: 2, modules: [new URL(import.meta.url)] })
  try {
    node.loadApplication({
      name: 'storage', version: '1.0.0', env: { capacity: 2 },
      children: [{ id: 'store', start: [Store, undefined, { name: 'store', thread: 1 }] }],
    })
    let webChildren: readonly Pid[] = []
    node.loadApplication({
      name: 'web', version: '2.1.0', applications: ['storage'], env: { greeting: 'Hello' },
      children: [{ id: 'greeter', start: [Greeter, undefined, { name: 'greeter', thread: 2 }] }],
      start: (app) => { webChildren = app.children },     // runs once the children are up
    })

    await node.startApplication('web')                    // storage first: web needs it
    const running = node.whichApplications().map((a) => `${a.name} ${a.version}`)
    assert.deepEqual(running.sort(), ['storage 1.0.0', 'web 2.1.0'])
    assert.equal(webChildren.length, 1)
    console.log(`running: ${running.join(', ')}`)

    assert.equal(await node.call('greeter', { hello: 'ann' }), 'Hello, ann')
    assert.equal(await node.call('greeter', { hello: 'ann' }), 'Hello, ann (again)')
    assert.equal(await node.call('store', 'capacity'), 2)
    console.log('greeter on thread 2 used the store on thread 1: Hello, ann (again)')

    await node.stopApplication('web')
    assert.equal(node.whereis('greeter'), undefined)
    assert.deepEqual(node.whichApplications().map((a) => a.name), ['storage'])
    console.log('web stopped; storage still running')

    // storage is temporary (the default start type): its end is reported, the node goes on.
    const exited = once(node, 'applicationExit')
    node.exit(node.whereis('store') as Pid, 'kill')
    const [name, reason, startType] = await exited
    assert.deepEqual([name, reason, startType], ['storage', 'killed', 'temporary'])
    console.log(`applicationExit: ${name as string} ended ${reason as string} (${startType as string})`)
    assert.equal(node.applicationInfo('storage').pid, undefined)   // still loaded, not running
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`); only the main thread runs the program.
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
