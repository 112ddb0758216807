#!/usr/bin/env node
// Runs the test suites with Node's test runner (TypeScript through tsx).
//   node scripts/run-tests.mjs            unit + integration
//   node scripts/run-tests.mjs unit       unit tests (src/**/*.test.ts)
//   node scripts/run-tests.mjs integration [filter]
// Node 20's runner does not expand globs, so the files are listed here.
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) find(p, out)
    else if (name.endsWith('.test.ts')) out.push(relative(root, p))
  }
  return out
}

const [suite, filter] = process.argv.slice(2)
let files = []
if (!suite || suite === 'unit') files.push(...find(join(root, 'src')))
if (!suite || suite === 'integration') files.push(...find(join(root, 'test')))
if (filter) files = files.filter((f) => f.includes(filter))
files.sort()
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}

const args = [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
  // A test that hangs fails after 2 minutes instead of holding the run. (Not --test-force-exit:
  // on Node 20 it ended a file's process in the middle of its tests, without reporting them.)
  '--test-timeout=120000',
  ...files,
]
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', detached: true })
// Last resort: the whole run never takes longer than this (the suite needs about 3 minutes).
const limitMin = Number(process.env.TEST_RUN_LIMIT_MIN ?? 20)
const watchdog = setTimeout(() => {
  console.error(`\nthe test run took longer than ${limitMin} minutes: stopping it`)
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {}
  process.exit(1)
}, limitMin * 60_000)
watchdog.unref()
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {}
    process.exit(1)
  })
}
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)))
