// pre-function micro-benchmark: the per-request cost of one trivial snippet in JavaScript and in
// Lua (fengari), through the plugin's real phase runner (compilePhases → PhaseCode.run) over a
// stand-in `kong`, without sockets.
//
//   node --expose-gc --import tsx bench/plugins/serverless.ts
//
// Each case runs batches of calls and reports the median µs per call. "as configured" is the
// plugin with its 1000 ms time limit: a phase with JavaScript runs under vm's timeout, which
// starts a watchdog thread per run; an all-Lua phase relies on the Lua count hook instead.
// "no time limit" (timeout 0) shows the cost of the code itself. The ctx case makes a new
// kong.ctx.shared per call, as a new request does (Lua then builds that request's ctx table).
import { performance } from 'node:perf_hooks'
import type { Kong } from '../../src/pdk/types.js'
import { compilePhases } from '../../src/plugins/pre-function/sandbox.js'

const BATCH = 2000
const BATCHES = 15

function kongStub(): { kong: Kong; fresh(): void } {
  const headers: Record<string, string> = {}
  const ctx = { shared: {} as Record<string, unknown>, plugin: {} as Record<string, unknown> }
  const kong = {
    configuration: { untrusted_lua: 'sandbox' },
    request: { getHeader: (name: string) => (name === 'x-a' ? 'v' : null) },
    response: {
      setHeader: (name: string, value: string) => {
        headers[name] = value
      },
    },
    ctx,
    log: {},
  } as unknown as Kong
  return {
    kong,
    fresh: () => {
      ctx.shared = {}
      ctx.plugin = {}
    },
  }
}

function measure(code: string, timeoutMs: number, newCtx: boolean): number {
  const phases = compilePhases('pre-function', { access: [code] }, timeoutMs)
  const access = phases.access
  if (access === null) throw new Error('no access code')
  const { kong, fresh } = kongStub()
  for (let i = 0; i < 200; i++) access.run(kong) // warm-up (and the Lua state)
  const samples: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    globalThis.gc?.()
    const t0 = performance.now()
    for (let i = 0; i < BATCH; i++) {
      if (newCtx) fresh()
      access.run(kong)
    }
    samples.push(((performance.now() - t0) * 1000) / BATCH)
  }
  samples.sort((a, b) => a - b)
  return samples[samples.length >> 1]
}

const CASES: [string, string, string, boolean][] = [
  [
    'set a response header from a request header',
    'kong.response.setHeader("X-B", kong.request.getHeader("x-a"))',
    'local v = kong.request.get_header("x-a")\nkong.response.set_header("X-B", v)',
    false,
  ],
  [
    'write kong.ctx.shared (new request each call)',
    'kong.ctx.shared.n = 1',
    'local n = 1\nkong.ctx.shared.n = n',
    true,
  ],
]

console.log('\npre-function: µs per call of one access snippet (median of batches)\n')
console.log(
  '| snippet | JavaScript, as configured | Lua, as configured | JavaScript, no time limit | Lua, no time limit |',
)
console.log('|---|---|---|---|---|')
for (const [label, js, lua, newCtx] of CASES) {
  const cells = [
    measure(js, 1000, newCtx),
    measure(lua, 1000, newCtx),
    measure(js, 0, newCtx),
    measure(lua, 0, newCtx),
  ].map((us) => us.toFixed(2))
  console.log(`| ${label} | ${cells.join(' | ')} |`)
}
