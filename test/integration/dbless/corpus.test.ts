// Every real-world file of /work/shared/corpus/declarative (28 files written by others; its
// README gives Kong 3.9's verdict on each) through `silverback config parse` and through
// `POST /config` on a DB-less node: the valid ones load and their routes answer on the proxy; the
// others are refused with Kong's error shape and the README's reason.
//
// Every file Kong finds valid loads here too (the two with Lua in pre-/post-function included).
// GAPS is where a valid file would go, with the bundled plugins it lacks, if one did not: the
// test then checks that exactly those are reported.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../helpers/cli.js'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import { send } from '../../helpers/proxy.js'

const CORPUS = '/work/shared/corpus/declarative'
const available = existsSync(join(CORPUS, 'README.md'))

/** Kong: valid; Silverback loads them and proxies their routes. */
const VALID = [
  'ChakshuGautam__digit-2.9lts-core-storm__kong.yml',
  'GSA-TTS__identity-idva-api-gateway__kong.yml',
  'HuanNT03__SOC_Gateway_for_Juice-shop__kong.yml',
  'KongHQ-CX__kong-ai-gateway-observability__kong.yml',
  'Klasmart-Engineering__api-management-poc__kong.yml',
  'Kong__deck__dump-001-entities-with-tags.yml',
  'Kong__deck__reset-001-ca-cert.yml',
  'TechLory__kong-gateway-ha__kong.yml',
  'akaiserg__kong-dbless-multi-jwt-validation__kong.yml',
  'dinokey__kong-dbless-example__kong-grpc.yml',
  'hunzo__kong-dbless-acme__kong.yml',
  'hyperdigitalplatform__cns-live__kong.yml',
  'jesperancinha__healthy-cameras__kong.yml',
  'jonathanlazaro1__kong-dbless-sample__kong.json',
  'kafaat__sahool-project__kong.yml',
  'luancgs__kong-api-gateway-test__kong.json',
  'supabase__supabase__kong.yml',
]

/** Kong: valid. Silverback lacks these bundled plugins. */
const GAPS: Record<string, { plugins: string[] }> = {
  // (none left: every file Kong loads loads here too)
}

/** Kong: needs a custom or Enterprise plugin or entity; refused naming it. */
const NEEDS: Record<string, RegExp[]> = {
  'FREEZONEX__supOS-CE__kong_config.yml': [
    /plugin 'supos-auth-checker' not enabled/,
    /plugin 'supos-url-transformer' not enabled/,
  ],
  'Redislabs-Solution-Architects__kong-ai-gateway-demo__kong.yml': [
    /plugin 'ai-proxy-advanced' not enabled/,
    /plugin 'ai-semantic-cache' not enabled/,
    /plugin 'ai-rate-limiting-advanced' not enabled/,
  ],
  'Tai-ch0802__docker-elk-for-kong__kong.yml': [
    /plugin 'file-log-advanced' not enabled/,
    /plugin 'gohello' not enabled/,
  ],
  'betagouv__api-particulier-legacy__kong.yml': [/plugin 'customAuth' not enabled/],
  'FIWARE__tutorials.PEP-Proxy__kong.yml': [/plugin 'pep-plugin' not enabled/],
  'Kong__deck__sync-016-consumer-groups.yml': [
    /in 'consumer_groups': unknown field/,
    /in 'groups': unknown field/,
  ],
}

/** Kong: invalid, for the README's reason. */
const INVALID: Record<string, RegExp> = {
  'Ashour158__People__kong.yml': /plugin 'request-id' not enabled/,
  'amey-admane__kong-deck-configuration__kong.yml':
    /in 'paths':\n\s+- in entry 1 of 'paths': should start with: \/ \(fixed path\) or ~\/ \(regex path\)/,
  'rawsashimi1604__kong-dbless-helm-setup__merged.yml':
    /uniqueness violation: 'services' entity with name set to 'mock-frontend' already declared/,
  'Kong__deck__root-kong.yml': /in '_format_version': required field missing\nin '_info': unknown field/,
  'Kong__deck__sync-009-ca-cert-expired.yml': /certificate expired, "Not After" time is in the past/,
}

function verdictOf(readme: string, file: string): string {
  const line = readme.split('\n').find((l) => l.startsWith(`| \`${file}\``))
  if (!line) throw new Error(`${file} is not in the corpus README`)
  const cells = line.split('|').map((c) => c.trim())
  return cells[cells.length - 2]
}

/** The plugin names an error reports as not enabled, sorted. */
function notEnabled(text: string): string[] {
  return [...new Set([...text.matchAll(/plugin '([^']+)' not enabled/g)].map((m) => m[1]))].sort()
}

interface LoadedRoute {
  paths?: string[] | null
  hosts?: string[] | null
  methods?: string[] | null
  protocols?: string[]
  headers?: Record<string, string[]> | null
}

describe('the declarative corpus', { skip: available ? false : `${CORPUS} not found` }, () => {
  const readme = available ? readFileSync(join(CORPUS, 'README.md'), 'utf8') : ''
  const files = available ? readdirSync(CORPUS).filter((f) => f !== 'README.md') : []
  let gw: Gateway
  // kafaat's file-log instance writes here; removed afterwards unless it was there before
  const accessLog = '/tmp/kong-access.log'
  const hadAccessLog = existsSync(accessLog)

  before(async () => {
    gw = await startGateway({ proxy: true, env: { DATABASE: 'off' } })
  })
  after(async () => {
    await gw?.stop()
    if (!hadAccessLog) rmSync(accessLog, { force: true })
  })

  it('every file of the folder has a verdict here that agrees with the README', () => {
    assert.equal(files.length, 28)
    for (const file of files) {
      const verdict = verdictOf(readme, file)
      if (VALID.includes(file) || file in GAPS) assert.match(verdict, /^\*\*valid\*\*/, file)
      else if (file in NEEDS) assert.match(verdict, /^\*\*needs /, file)
      else if (file in INVALID) assert.match(verdict, /^\*\*invalid\*\*/, file)
      else assert.fail(`${file} has no expected outcome in this test`)
    }
  })

  /** `config parse` and `POST /config` on one file: the CLI's stderr and the HTTP answer. */
  async function both(file: string) {
    const text = readFileSync(join(CORPUS, file), 'utf8')
    const cli = await runCli(['config', 'parse', join(CORPUS, file)], { KONG_PREFIX: gw.prefix })
    const res = await request(gw.admin, 'POST', '/config', { form: { config: text } })
    return { cli, res }
  }

  for (const file of VALID) {
    it(`loads and proxies ${file}`, async () => {
      const { cli, res } = await both(file)
      assert.equal(cli.code, 0, cli.stderr)
      assert.equal(cli.stdout, 'parse successful\n')
      assert.equal(res.status, 201, res.text)
      const loaded = res.body as Record<string, Record<string, unknown>>
      assert.ok(Object.keys(loaded.services ?? {}).length > 0)
      const routes = Object.values((loaded.routes ?? {}) as Record<string, LoadedRoute>)
      // every HTTP route with a plain path is matched by the proxy (whatever the service answers)
      const checked = routes.filter(
        (r) => r.paths?.[0]?.startsWith('/') && !r.headers && r.protocols?.some((p) => p.startsWith('http')),
      )
      for (const route of checked) {
        const path = route.paths![0]
        const headers: Record<string, string> = {}
        if (route.hosts?.[0]) headers.host = route.hosts[0].replace('*', 'x')
        let answer = ''
        for (let i = 0; i < 100; i++) {
          const r = await send(`${gw.proxy}${path}`, { method: route.methods?.[0] ?? 'GET', headers })
          answer = `${r.status} ${r.body}`
          if (!answer.includes('no Route matched')) break
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        assert.doesNotMatch(answer, /no Route matched/, `${file}: ${path}`)
      }
      if (file.includes('grpc')) {
        const route = routes[0]
        assert.deepEqual(route.protocols, ['grpc'])
      }
    })
  }

  for (const [file, gap] of Object.entries(GAPS)) {
    it(`reports what Silverback lacks for ${file}`, async () => {
      const { cli, res } = await both(file)
      assert.equal(cli.code, 1)
      assert.equal(res.status, 400)
      const body = res.body as { code: number; name: string; message: string }
      assert.equal(body.code, 14)
      assert.deepEqual(notEnabled(cli.stderr), gap.plugins)
      assert.deepEqual(notEnabled(body.message), gap.plugins)
    })
  }

  for (const [file, reasons] of Object.entries(NEEDS)) {
    it(`refuses ${file}, naming what it needs`, async () => {
      const { cli, res } = await both(file)
      assert.equal(cli.code, 1)
      assert.match(cli.stderr, /^Error: Failed parsing:\n/)
      assert.equal(res.status, 400)
      const body = res.body as { code: number; name: string; fields: unknown }
      assert.equal(body.code, 14)
      assert.equal(body.name, 'invalid declarative configuration')
      for (const reason of reasons) assert.match(cli.stderr, reason)
    })
  }

  for (const [file, reason] of Object.entries(INVALID)) {
    it(`refuses ${file}`, async () => {
      const { cli, res } = await both(file)
      assert.equal(cli.code, 1)
      assert.match(cli.stderr, reason)
      assert.equal(res.status, 400)
      const body = res.body as { code: number; message: string; fields: Record<string, unknown> }
      assert.equal(body.code, 14)
      assert.match(body.message, /^declarative config is invalid: /)
      assert.ok(Object.keys(body.fields).length > 0)
    })
  }

  it('the last valid configuration stays after the refused ones', async () => {
    const file = 'jonathanlazaro1__kong-dbless-sample__kong.json'
    const text = readFileSync(join(CORPUS, file), 'utf8')
    assert.equal((await request(gw.admin, 'POST', '/config', { form: { config: text } })).status, 201)
    const bad = readFileSync(join(CORPUS, 'Kong__deck__root-kong.yml'), 'utf8')
    assert.equal((await request(gw.admin, 'POST', '/config', { form: { config: bad } })).status, 400)
    const routes = (await request(gw.admin, 'GET', '/routes')).body as { data: { id: string }[] }
    assert.deepEqual(
      routes.data.map((r) => r.id),
      ['e867baf3-b852-5102-9d4c-21821056be40'],
    )
  })
})
