import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCli } from '../../helpers/cli.js'
import { freePort, startGateway } from '../../helpers/gateway.js'

const prefixes: string[] = []
function tempPrefix(): string {
  const p = mkdtempSync(join(tmpdir(), 'silverback-cli-'))
  prefixes.push(p)
  return p
}

async function envFor(prefix: string): Promise<Record<string, string>> {
  return {
    KONG_PREFIX: prefix,
    KONG_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
    KONG_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    KONG_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    KONG_NGINX_WORKER_PROCESSES: '1',
  }
}

async function waitFor(fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await fn()) return
    await sleep(50)
  }
  throw new Error('condition not met in time')
}

after(async () => {
  for (const p of prefixes) {
    await runCli(['stop', '-p', p]).catch(() => undefined)
    // Whatever happened in the test, nothing it started may outlive it.
    try {
      process.kill(Number(readFileSync(join(p, 'pids', 'silverback.pid'), 'utf8')), 'SIGKILL')
    } catch {
      // not running
    }
    rmSync(p, { recursive: true, force: true })
  }
})

describe('cli: foreground start', () => {
  it('bootstraps the embedded store, logs it, and serves the Admin API with KONG_* settings', async () => {
    const gw = await startGateway()
    try {
      assert.match(gw.output(), /Kong started/)
      assert.match(gw.errorLog(), /bootstrapped the embedded database at .*silverback\.db/)
      const res = await fetch(`${gw.admin}/`)
      assert.equal(res.status, 200)
      const health = await runCli(['health', '-p', gw.prefix])
      assert.equal(health.code, 0, health.stderr)
      assert.equal(health.stdout, `silverback.......running\n\nKong is healthy at ${gw.prefix}\n`)
      const again = await runCli(['start', '-p', gw.prefix], await envFor(gw.prefix))
      assert.equal(again.code, 1)
      assert.match(again.stderr, new RegExp(`Error: Kong is already running in ${gw.prefix}`))
    } finally {
      const code = await gw.stop('SIGTERM')
      assert.equal(code, 0)
    }
  })

  it('keeps data across restarts on the same prefix', async () => {
    const prefix = tempPrefix()
    const first = await startGateway({ prefix })
    const created = await fetch(`${first.admin}/consumers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'persisted' }),
    })
    assert.equal(created.status, 201)
    await first.stop()
    const second = await startGateway({ prefix })
    try {
      const res = await fetch(`${second.admin}/consumers/persisted`)
      assert.equal(res.status, 200)
      assert.equal(second.errorLog().match(/bootstrapped the embedded database/g)?.length, 1)
    } finally {
      await second.stop()
    }
  })

  it('refuses an invalid configuration with a message naming the property', async () => {
    const prefix = tempPrefix()
    const res = await runCli(['start'], { ...(await envFor(prefix)), KONG_LOG_LEVEL: 'chatty' })
    assert.equal(res.code, 1)
    assert.match(res.stderr, /log_level has an invalid value: 'chatty'/)
    assert.match(res.stderr, /Run with --v \(verbose\) or --vv \(debug\) for more details/)
  })

  it('explains a missing declarative file, and which PostgreSQL server cannot be reached', async () => {
    const off = await runCli(['start'], {
      ...(await envFor(tempPrefix())),
      KONG_DATABASE: 'off',
      KONG_DECLARATIVE_CONFIG: '/nonexistent/kong.yml',
    })
    assert.equal(off.code, 1)
    assert.match(
      off.stderr,
      /Error: error parsing declarative config file \/nonexistent\/kong\.yml:\nfailed reading config file at \/nonexistent\/kong\.yml: no such file/,
    )
    const pg = await runCli(['start'], {
      ...(await envFor(tempPrefix())),
      KONG_DATABASE: 'postgres',
      KONG_PG_PORT: '1',
      KONG_PG_TIMEOUT: '1000',
    })
    assert.equal(pg.code, 1)
    assert.match(pg.stderr, /\[PostgreSQL error\] could not reach 127\.0\.0\.1:1\/kong: .*ECONNREFUSED/)
  })

  it('reports a port that is already taken', async () => {
    const gw = await startGateway()
    try {
      const prefix = tempPrefix()
      const res = await runCli(['start'], {
        ...(await envFor(prefix)),
        KONG_ADMIN_LISTEN: `127.0.0.1:${gw.adminPort}`,
      })
      assert.equal(res.code, 1)
      assert.match(
        res.stderr,
        new RegExp(`could not bind admin_listen 127.0.0.1:${gw.adminPort}: EADDRINUSE`),
      )
    } finally {
      await gw.stop()
    }
  })
})

describe('cli: daemon lifecycle', () => {
  it('start --daemon, health, reload with -c, quit', async () => {
    const prefix = tempPrefix()
    const env = await envFor(prefix)
    const start = await runCli(['start', '--daemon'], env)
    assert.equal(start.code, 0, start.stderr)
    assert.equal(start.stdout, 'Kong started\n')
    const pid = Number(readFileSync(join(prefix, 'pids', 'silverback.pid'), 'utf8'))
    assert.ok(pid > 0)
    const admin = `http://${env.KONG_ADMIN_LISTEN}`
    assert.equal((await fetch(`${admin}/status`)).status, 200)

    const health = await runCli(['health', '-p', prefix])
    assert.equal(health.code, 0)

    // reload: a new admin port from a file applied over the saved configuration
    const newPort = await freePort()
    const confFile = join(prefix, 'reload.conf')
    writeFileSync(confFile, `admin_listen = 127.0.0.1:${newPort}\n`)
    const reload = await runCli(['reload', '-p', prefix, '-c', confFile])
    assert.equal(reload.code, 0, reload.stderr)
    assert.equal(reload.stdout, 'Kong reloaded\n')
    await waitFor(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${newPort}/status`)).status === 200
      } catch {
        return false
      }
    })
    assert.match(
      readFileSync(join(prefix, '.kong_env'), 'utf8'),
      new RegExp(`admin_listen = 127.0.0.1:${newPort}`),
    )

    const quit = await runCli(['quit', '-p', prefix])
    assert.equal(quit.code, 0, quit.stderr)
    assert.equal(quit.stdout, 'Kong stopped (gracefully)\n')
    assert.throws(() => process.kill(pid, 0))

    const down = await runCli(['health', '-p', prefix])
    assert.equal(down.code, 1)
    assert.match(down.stderr, new RegExp(`Error: Kong is not running at ${prefix}`))
    const stop = await runCli(['stop', '-p', prefix])
    assert.equal(stop.code, 1)
    assert.match(stop.stderr, /Kong is not running in/)
  })

  it('stop ends a running node immediately', async () => {
    const prefix = tempPrefix()
    const env = await envFor(prefix)
    assert.equal((await runCli(['start', '--daemon'], env)).code, 0)
    const stop = await runCli(['stop', '-p', prefix])
    assert.equal(stop.code, 0, stop.stderr)
    assert.equal(stop.stdout, 'Kong stopped\n')
  })

  it('stop on a missing prefix', async () => {
    const res = await runCli(['stop', '-p', join(tmpdir(), 'silverback-no-such-prefix')])
    assert.equal(res.code, 1)
    assert.match(res.stderr, /no such prefix: /)
  })
})

describe('cli: general behaviour', () => {
  it('prints usage without a command and rejects unknown commands', async () => {
    const none = await runCli([])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /Usage: silverback COMMAND \[OPTIONS\]/)
    const unknown = await runCli(['frobnicate'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /No such command: frobnicate/)
    const sub = await runCli(['migrations', 'sideways'])
    assert.equal(sub.code, 1)
    assert.match(sub.stderr, /No such command for migrations: sideways/)
    const missing = await runCli(['config'])
    assert.equal(missing.code, 1)
  })

  it('version', async () => {
    const v = await runCli(['version'])
    assert.equal(v.stdout, '3.9.1\n')
    const all = await runCli(['version', '-a'])
    assert.match(all.stdout, /^Kong: 3\.9\.1\nSilverback: \d+\.\d+\.\d+\nNode\.js: v\d+/)
  })

  it('check validates configuration files', async () => {
    const dir = tempPrefix()
    const good = join(dir, 'good.conf')
    writeFileSync(good, '# a comment\nlog_level = debug\nadmin_listen = 127.0.0.1:9999\n')
    const ok = await runCli(['check', good])
    assert.equal(ok.code, 0)
    assert.equal(ok.stdout, `configuration at ${good} is valid\n`)
    const bad = join(dir, 'bad.conf')
    writeFileSync(bad, 'log_level = loud\nadmin_listen = nowhere\n')
    const res = await runCli(['check', bad])
    assert.equal(res.code, 1)
    assert.match(res.stdout, /\[error\] log_level has an invalid value: 'loud'/)
    assert.match(res.stdout, /\[error\] admin_listen must be of form/)
    const missing = await runCli(['check', join(dir, 'nope.conf')])
    assert.equal(missing.code, 1)
    assert.match(missing.stdout, /\[error\] no file at: .*nope\.conf/)
  })

  it('prepare creates the prefix and its .kong_env', async () => {
    const prefix = join(tempPrefix(), 'nested')
    const res = await runCli(['prepare', '-p', prefix])
    assert.equal(res.code, 0, res.stderr)
    assert.equal(res.stdout, '')
    assert.match(readFileSync(join(prefix, '.kong_env'), 'utf8'), /^prefix = /m)
  })

  it('vault get resolves env references', async () => {
    const res = await runCli(['vault', 'get', 'env/silverback-test-secret'], {
      SILVERBACK_TEST_SECRET: 's3cret',
    })
    assert.equal(res.code, 0, res.stderr)
    assert.equal(res.stdout, 's3cret\n')
    const none = await runCli(['vault', 'get'])
    assert.equal(none.code, 1)
  })
})

describe('cli: migrations on the embedded store', () => {
  it('list, bootstrap, status, reset', async () => {
    const prefix = tempPrefix()
    const env = { KONG_PREFIX: prefix }
    const fresh = await runCli(['migrations', 'list'], env)
    assert.equal(fresh.code, 3)
    assert.match(fresh.stdout, /Database needs bootstrapping or is older than Kong 1\.0\./)

    const boot = await runCli(['migrations', 'bootstrap'], env)
    assert.equal(boot.code, 0, boot.stderr)
    assert.match(boot.stdout, /Bootstrapping database\.\.\./)
    assert.match(boot.stdout, /core migrated up to: 000_base \(executed\)/)
    assert.match(boot.stdout, /key-auth migrated up to: 000_base_key_auth \(executed\)/)
    assert.match(boot.stdout, /Database is up-to-date/)

    const again = await runCli(['migrations', 'bootstrap'], env)
    assert.equal(again.code, 0)
    assert.match(again.stdout, /Database already bootstrapped/)

    const list = await runCli(['migrations', 'list'], env)
    assert.equal(list.code, 0)
    // core first, then the bundled plugins that own tables, names right-aligned as Kong prints them
    const lines = list.stdout.trimEnd().split('\n')
    assert.equal(lines[0], 'Executed migrations:')
    assert.equal(lines[1].trim(), 'core: 000_base, 001_cluster_events')
    const width = lines[1].indexOf(':')
    for (const line of lines.slice(1)) assert.equal(line.indexOf(':'), width, line)
    for (const ns of [
      'key-auth: 000_base_key_auth',
      'basic-auth: 000_base_basic_auth',
      'acl: 000_base_acl',
      'rate-limiting: 000_base_rate_limiting',
    ])
      assert.ok(
        lines.some((l) => l.trim() === ns),
        ns,
      )

    const status = await runCli(['migrations', 'status'], env)
    const state = JSON.parse(status.stdout) as { needs_bootstrap: boolean; executed_migrations: unknown }
    assert.equal(state.needs_bootstrap, false)
    const executed = state.executed_migrations as { namespace: string; migrations: string[] }[]
    assert.deepEqual(executed[0], { namespace: 'core', migrations: ['000_base', '001_cluster_events'] })
    assert.deepEqual(executed.map((e) => e.namespace).sort(), [
      'acl',
      'basic-auth',
      'core',
      'hmac-auth',
      'jwt',
      'key-auth',
      'oauth2',
      'rate-limiting',
    ])

    const up = await runCli(['migrations', 'up'], env)
    assert.match(up.stdout, /Database is already up-to-date/)
    const finish = await runCli(['migrations', 'finish'], env)
    assert.match(finish.stdout, /No pending migrations to finish/)

    const noTty = await runCli(['migrations', 'reset'], env)
    assert.equal(noTty.code, 1)
    assert.match(noTty.stderr, /not a tty: invoke 'reset' non-interactively with the --yes flag/)
    const reset = await runCli(['migrations', 'reset', '--yes'], env)
    assert.equal(reset.code, 0, reset.stderr)
    assert.match(reset.stdout, /Database successfully reset/)
    const nothing = await runCli(['migrations', 'reset', '--yes'], env)
    assert.equal(nothing.code, 1)
    assert.match(nothing.stdout, /nothing to reset/)
  })
})
