import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Row } from '../../cluster/messages.js'
import type { LoadedPlugin } from '../../pdk/instance.js'
import { unavailablePlugin } from './catalog.js'
import { PluginIndex, resolve } from './index.js'

function plugin(name: string, priority: number, extra: Partial<LoadedPlugin> = {}): LoadedPlugin {
  return {
    name,
    priority,
    version: '1',
    noConsumer: false,
    handler: { priority, version: '1', access() {} },
    ...extra,
  }
}

const PLUGINS = new Map<string, LoadedPlugin>([
  ['auth', plugin('auth', 1000)],
  ['limit', plugin('limit', 900)],
  ['a-tie', plugin('a-tie', 500)],
  ['b-tie', plugin('b-tie', 500)],
  ['auth-only', plugin('auth-only', 800, { noConsumer: true })],
  [
    'bad',
    plugin('bad', 10, {
      handler: {
        priority: 10,
        version: '1',
        prepare() {
          throw new Error('cannot prepare')
        },
      },
    }),
  ],
])

let n = 0
function row(
  name: string,
  scope: { route?: string; service?: string; consumer?: string } = {},
  extra: Row = {},
): Row {
  return {
    id: `p${++n}`,
    name,
    enabled: true,
    protocols: ['http', 'https'],
    config: { tag: extra.tag ?? `${name}:${Object.keys(scope).join('+') || 'global'}` },
    route: scope.route ? { id: scope.route } : null,
    service: scope.service ? { id: scope.service } : null,
    consumer: scope.consumer ? { id: scope.consumer } : null,
    ...extra,
  }
}

const tagOf = (inst: { config: Row } | null) => (inst ? inst.config.tag : null)

describe('PluginIndex', () => {
  it('orders a chain by PRIORITY, then by name descending', () => {
    const index = new PluginIndex(
      [row('a-tie'), row('limit'), row('b-tie'), row('auth')],
      PLUGINS,
      unavailablePlugin,
    )
    const chain = index.chainFor('r1', 's1')
    assert.deepEqual(
      chain?.map((e) => e.plugin.name),
      ['auth', 'limit', 'b-tie', 'a-tie'],
    )
    assert.equal(index.chainFor('r1', 's1'), chain, 'memoized per route')
  })

  it('skips disabled instances and instances for non-HTTP protocols', () => {
    const index = new PluginIndex(
      [row('auth', {}, { enabled: false }), row('limit', {}, { protocols: ['tcp'] })],
      PLUGINS,
      unavailablePlugin,
    )
    assert.equal(index.empty, true)
    assert.equal(index.chainFor('r', 's'), null)
  })

  it('resolves the scoping precedence of plugins.md §2.2 per consumer', () => {
    const rows = [
      row('limit', {}, { tag: 'G' }),
      row('limit', { service: 's' }, { tag: 'S' }),
      row('limit', { route: 'r' }, { tag: 'R' }),
      row('limit', { consumer: 'c' }, { tag: 'C' }),
      row('limit', { route: 'r', service: 's' }, { tag: 'RS' }),
      row('limit', { service: 's', consumer: 'c' }, { tag: 'SC' }),
      row('limit', { route: 'r', consumer: 'c' }, { tag: 'RC' }),
      row('limit', { route: 'r', service: 's', consumer: 'c' }, { tag: 'RSC' }),
      row('limit', { consumer: 'other' }, { tag: 'C-other' }),
    ]
    // remove instances best-first and check who wins for c, for another consumer, and for nobody
    const expected: [string, string, string, string][] = [
      // removed, for c, for "other", without consumer
      ['', 'RSC', 'RS', 'RS'],
      ['RSC', 'RC', 'RS', 'RS'],
      ['RC', 'SC', 'RS', 'RS'],
      ['SC', 'RS', 'RS', 'RS'],
      ['RS', 'C', 'C-other', 'R'],
      ['C', 'R', 'C-other', 'R'],
      ['R', 'S', 'C-other', 'S'],
      ['S', 'G', 'C-other', 'G'],
    ]
    let current = rows
    for (const [removed, forC, forOther, forNone] of expected) {
      current = current.filter((r) => (r.config as Row).tag !== removed)
      const chain = new PluginIndex(current, PLUGINS, unavailablePlugin).chainFor('r', 's')
      assert.ok(chain)
      const [entry] = chain
      assert.equal(tagOf(resolve(entry, 'c')), forC, `after removing ${removed || 'nothing'}: consumer c`)
      assert.equal(tagOf(resolve(entry, 'other')), forOther, `after removing ${removed || 'nothing'}: other`)
      assert.equal(
        tagOf(resolve(entry, null)),
        forNone,
        `after removing ${removed || 'nothing'}: no consumer`,
      )
    }
  })

  it('a consumer instance only applies on routes where nothing more specific exists', () => {
    const index = new PluginIndex(
      [row('limit', { consumer: 'c' }, { tag: 'C' }), row('limit', { route: 'r2' }, { tag: 'R2' })],
      PLUGINS,
      unavailablePlugin,
    )
    assert.equal(tagOf(resolve(index.chainFor('r1', 's')![0], 'c')), 'C')
    assert.equal(tagOf(resolve(index.chainFor('r1', 's')![0], null)), null)
    // route (rank 6) is below consumer (rank 5)
    assert.equal(tagOf(resolve(index.chainFor('r2', 's')![0], 'c')), 'C')
    assert.equal(tagOf(resolve(index.chainFor('r2', 's')![0], null)), 'R2')
  })

  it('ignores consumer-scoped instances of types that refuse consumer scoping', () => {
    const index = new PluginIndex([row('auth-only', { consumer: 'c' })], PLUGINS, unavailablePlugin)
    assert.equal(index.chainFor('r', 's'), null)
  })

  it('fails closed: an unknown type or a configuration that cannot be prepared runs as a failing stand-in', () => {
    const index = new PluginIndex([row('ghost'), row('bad')], PLUGINS, unavailablePlugin)
    const chain = index.chainFor('r', 's')
    assert.deepEqual(
      chain?.map((e) => e.plugin.name),
      ['ghost', 'bad'],
    )
    for (const e of chain ?? []) {
      assert.throws(
        () => e.plugin.handler.access?.({}, {} as never),
        /is configured but not available on this node/,
      )
    }
    assert.equal(index.errors.length, 1)
    assert.match(index.errors[0], /plugin bad \(p\d+\): cannot prepare/)
  })

  it('reuses the prepared instance of an unchanged row across snapshots', () => {
    const r = row('limit')
    const a = new PluginIndex([r], PLUGINS, unavailablePlugin).chainFor('x', null)![0].base
    const b = new PluginIndex([r, row('auth')], PLUGINS, unavailablePlugin).chainFor('x', null)![1].base
    assert.equal(a, b)
  })

  it('lists global instances with a rewrite handler, and the global chain for unmatched requests', () => {
    const rewriting = plugin('early', 2000, { handler: { priority: 2000, version: '1', rewrite() {} } })
    const plugins = new Map([...PLUGINS, ['early', rewriting]])
    const index = new PluginIndex(
      [row('early'), row('early', { route: 'r' }), row('limit')],
      plugins,
      unavailablePlugin,
    )
    assert.deepEqual(
      index.rewrite?.map((i) => i.name),
      ['early'],
    )
    assert.deepEqual(
      index.global?.map((e) => e.plugin.name),
      ['early', 'limit'],
    )
  })
})
