#!/usr/bin/env node
/**
 * The `skein` command: `skein demo [options]` runs the word-count demo, `skein bench [options]`
 * the benchmark suite, on this machine. In a checkout (tsx installed, sources present) it runs
 * the TypeScript sources, which may be newer than dist/; in an installed package (under a
 * node_modules folder), the compiled JavaScript under dist/, which `npm pack` built from the
 * shipped sources, even when the app has tsx.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = new URL('../', import.meta.url)
const COMMANDS = {
  demo: { entry: 'examples/demo', what: 'word count on every core with injected crashes, checked against a single-threaded run' },
  bench: { entry: 'bench/run', what: 'Skein beside raw postMessage, piscina and Erlang/OTP (when erl is on the PATH), one table' },
}

function usage(out) {
  out([
    'usage: skein <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(6)} ${c.what}`),
    '',
    '  skein demo [--threads N] [--items N] [--crash-rate R] [--batch N] [--seed N]',
    '  skein bench [--threads N] [--shape NAME[,NAME...]] [--json FILE] [--list]',
    '  skein <command> --help    the command\'s own options',
  ].join('\n'))
}

const [command, ...rest] = process.argv.slice(2)
if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
  usage(console.log)
  process.exit(0)
}
if (command === '--version' || command === '-v') {
  console.log(JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version)
  process.exit(0)
}
const chosen = COMMANDS[command]
if (chosen === undefined) {
  console.error(`skein: unknown command ${JSON.stringify(command)}\n`)
  usage(console.error)
  process.exit(2)
}

function tsxLoader() {
  try {
    return import.meta.resolve('tsx')
  } catch {
    return undefined
  }
}

const source = fileURLToPath(new URL(`${chosen.entry}.ts`, root))
const compiled = fileURLToPath(new URL(`dist/${chosen.entry}.js`, root))
const installed = fileURLToPath(root).split(sep).includes('node_modules')
const tsx = installed ? undefined : tsxLoader()
let args
if (tsx !== undefined && existsSync(source)) args = ['--import', tsx, source, ...rest]
else if (existsSync(compiled)) args = [compiled, ...rest]
else {
  console.error(`skein: neither ${source} (with tsx) nor ${compiled} exists; run \`npm run build\` first`)
  process.exit(1)
}
const run = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, SKEIN_PROGRAM: `skein ${command}` } })
process.exit(run.status ?? 1)
