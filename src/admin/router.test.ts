// The Admin API path router (admin-api.md §2.1): static segments win over parameters with
// backtracking, percent-decoding of segments, trailing slashes, method merging, templates.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Router } from './router.js'

function router(...templates: string[]): Router<string> {
  const r = new Router<string>()
  for (const t of templates) r.add(t, { GET: t })
  return r
}

function hit(r: Router<string>, path: string): { template: string; params: Record<string, string> } | null {
  const m = r.match(path)
  return m ? { template: m.route.template, params: m.params } : null
}

describe('router: matching', () => {
  it('matches static paths and the root', () => {
    const r = router('/', '/services', '/status')
    assert.deepEqual(hit(r, '/'), { template: '/', params: {} })
    assert.deepEqual(hit(r, '/services'), { template: '/services', params: {} })
  })

  it('captures parameters', () => {
    const r = router('/services/:services/routes/:routes')
    assert.deepEqual(hit(r, '/services/a/routes/b'), {
      template: '/services/:services/routes/:routes',
      params: { services: 'a', routes: 'b' },
    })
  })

  it('unknown paths do not match', () => {
    const r = router('/services', '/services/:services')
    assert.equal(hit(r, '/nope'), null)
    assert.equal(hit(r, '/services/a/b'), null)
  })

  it('static segments win over parameters', () => {
    const r = router('/plugins/:plugins', '/plugins/enabled', '/plugins/schema/:name')
    assert.equal(hit(r, '/plugins/enabled')?.template, '/plugins/enabled')
    assert.deepEqual(hit(r, '/plugins/other'), {
      template: '/plugins/:plugins',
      params: { plugins: 'other' },
    })
    assert.deepEqual(hit(r, '/plugins/schema/key-auth'), {
      template: '/plugins/schema/:name',
      params: { name: 'key-auth' },
    })
  })

  it('backtracks from a static branch to a parameter', () => {
    const r = router(
      '/upstreams/:upstreams/targets/all',
      '/upstreams/:upstreams/targets/:targets/healthy',
      '/a/b/d',
      '/a/:x/c',
    )
    assert.deepEqual(hit(r, '/a/b/c'), { template: '/a/:x/c', params: { x: 'b' } })
    assert.deepEqual(hit(r, '/a/b/d'), { template: '/a/b/d', params: {} })
    assert.deepEqual(hit(r, '/upstreams/u/targets/all'), {
      template: '/upstreams/:upstreams/targets/all',
      params: { upstreams: 'u' },
    })
    assert.deepEqual(hit(r, '/upstreams/u/targets/all/healthy'), {
      template: '/upstreams/:upstreams/targets/:targets/healthy',
      params: { upstreams: 'u', targets: 'all' },
    })
  })

  it('does not leak parameters of abandoned branches', () => {
    const r = router('/a/:x/c/d', '/a/:x/e', '/a/b/e')
    assert.deepEqual(hit(r, '/a/b/e'), { template: '/a/b/e', params: {} })
    assert.deepEqual(hit(r, '/a/q/e'), { template: '/a/:x/e', params: { x: 'q' } })
  })

  it('a path matches with or without a trailing slash', () => {
    const r = router('/services', '/services/:services')
    assert.equal(hit(r, '/services/')?.template, '/services')
    assert.deepEqual(hit(r, '/services/x/'), { template: '/services/:services', params: { services: 'x' } })
  })

  it('percent-decodes segments before lookup', () => {
    const r = router('/services/:services', '/plugins/enabled')
    assert.deepEqual(hit(r, '/services/%E5%86%86'), {
      template: '/services/:services',
      params: { services: '円' },
    })
    assert.equal(hit(r, '/plugins/%65nabled')?.template, '/plugins/enabled')
    assert.deepEqual(hit(r, '/services/a%2Fb'), {
      template: '/services/:services',
      params: { services: 'a/b' },
    })
    assert.deepEqual(hit(r, '/services/a%20b'), {
      template: '/services/:services',
      params: { services: 'a b' },
    })
  })

  it('keeps malformed escapes as they are', () => {
    const r = router('/services/:services')
    assert.deepEqual(hit(r, '/services/%ZZ'), {
      template: '/services/:services',
      params: { services: '%ZZ' },
    })
  })
})

describe('router: registration', () => {
  it('merges methods of the same template, later handlers win', () => {
    const r = new Router<string>()
    r.add('/services', { GET: 'list', POST: 'create' })
    r.add('/services', { POST: 'create2', OPTIONS: 'opts' })
    assert.deepEqual(r.match('/services')?.route.methods, { GET: 'list', POST: 'create2', OPTIONS: 'opts' })
    assert.deepEqual(r.templates(), ['/services'])
  })

  it('refuses two parameter names at the same position', () => {
    const r = router('/services/:services')
    assert.throws(() => r.add('/services/:other/routes', { GET: 'x' }))
  })

  it('removes templates', () => {
    const r = router('/snis/:snis', '/snis/:snis/certificate')
    r.remove('/snis/:snis/certificate')
    assert.equal(hit(r, '/snis/a/certificate'), null)
    assert.equal(hit(r, '/snis/a')?.template, '/snis/:snis')
    assert.deepEqual(r.templates(), ['/snis/{snis}'])
    r.remove('/does/not/exist')
  })

  it('lists templates in {name} notation', () => {
    const r = router('/', '/services/:services/routes/:routes')
    assert.deepEqual(r.templates(), ['/', '/services/{services}/routes/{routes}'])
  })
})
