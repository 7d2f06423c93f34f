/** Runs a fixture script in a child Node process (under tsx), for tests of how a program starts and ends. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface ChildScript {
  readonly child: ChildProcess
  /** Everything the child printed so far. */
  stdout(): string
  stderr(): string
  /** Resolves once stdout has a line equal to `line` (rejects if the child ends first). */
  line(line: string): Promise<void>
  /** Resolves with how the child ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Start `fixture` (a path under test/fixtures) with `args`; the child is killed after `killAfterMs` (a bound on failure only). */
export function childScript(fixture: string, args: readonly string[] = [], killAfterMs = 25_000): ChildScript {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let closed = false
  const waiters: (() => void)[] = []
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    for (const w of waiters.splice(0)) w()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const guard = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      closed = true
      clearTimeout(guard)
      for (const w of waiters.splice(0)) w()
      resolve({ code, signal })
    })
  })
  const line = (want: string): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => {
      if (out.split('\n').includes(want)) resolve()
      else if (closed) {
        reject(new Error(`the child ended before printing ${JSON.stringify(want)}; stdout: ${out}; stderr: ${err}`))
      } else waiters.push(check)
    }
    check()
  })
  return { child, stdout: () => out, stderr: () => err, line, exited }
}
