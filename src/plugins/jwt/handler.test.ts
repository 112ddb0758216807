// The jwt handler against a stand-in `kong`: what other plugins see through kong.ctx.shared
// (authenticated_jwt_token), which no bundled plugin exposes to the integration tests, and the
// authentication call itself.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Kong, Row } from '../../pdk/types.js'
import jwt from './handler.js'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

function hs256(payload: unknown, secret: string): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

const consumer = { id: 'c1', username: 'alice' }
const credential = { id: 'k1', key: 'alice-iss', secret: 'shh', algorithm: 'HS256', consumer: { id: 'c1' } }

interface Outcome {
  exit: [number, unknown, unknown] | null
  shared: Record<string, unknown>
  authenticated: [Row | null, Row | null] | null
  set: Record<string, string>
}

async function run(authorization: string | null, config: Record<string, unknown> = {}): Promise<Outcome> {
  const out: Outcome = { exit: null, shared: {}, authenticated: null, set: {} }
  const kong = {
    request: {
      getMethod: () => 'GET',
      getQuery: () => ({}),
      getHeaders: () => ({}),
      getHeader: (name: string) => (name.toLowerCase() === 'authorization' ? authorization : null),
    },
    cache: {
      select: async (_e: string, _f: string, key: string) => (key === credential.key ? credential : null),
    },
    client: {
      getCredential: () => null,
      loadConsumer: async (id: string) => (id === consumer.id ? consumer : null),
      authenticate: (c: Row | null, k: Row | null) => {
        out.authenticated = [c, k]
      },
    },
    ctx: { shared: out.shared, plugin: {} },
    service: {
      request: {
        setHeader: (n: string, v: string) => {
          out.set[n] = v
        },
        clearHeader: () => undefined,
      },
    },
    response: {
      exit: (status: number, body: unknown, headers: unknown) => {
        out.exit = [status, body, headers]
      },
      error: (status: number, message: unknown, headers: unknown) => {
        out.exit = [status, message, headers]
      },
    },
  } as unknown as Kong
  const handler = jwt.handler
  if (!handler?.prepare || !handler.access) throw new Error('jwt has no access handler')
  const conf = handler.prepare({
    uri_param_names: ['jwt'],
    cookie_names: [],
    key_claim_name: 'iss',
    secret_is_base64: false,
    claims_to_verify: null,
    anonymous: null,
    run_on_preflight: true,
    maximum_expiration: 0,
    header_names: ['authorization'],
    realm: null,
    ...config,
  })
  await handler.access(conf, kong)
  return out
}

describe('jwt handler', () => {
  it('puts the raw token in kong.ctx.shared.authenticated_jwt_token on success', async () => {
    const token = hs256({ iss: 'alice-iss' }, 'shh')
    const out = await run(`Bearer ${token}`)
    assert.equal(out.exit, null)
    assert.equal(out.shared.authenticated_jwt_token, token)
    assert.deepEqual(out.authenticated, [consumer, credential])
    assert.equal(out.set['X-Credential-Identifier'], 'alice-iss')
    assert.equal(out.set['X-Consumer-ID'], 'c1')
  })

  it('leaves kong.ctx.shared alone on failure, and answers with exit (a plain JSON body)', async () => {
    const out = await run(`Bearer ${hs256({ iss: 'alice-iss' }, 'wrong')}`)
    assert.equal(out.shared.authenticated_jwt_token, undefined)
    assert.equal(out.authenticated, null)
    assert.deepEqual(out.exit, [
      401,
      { message: 'Invalid signature' },
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    ])
    const none = await run(null, { realm: 'r' })
    assert.deepEqual(none.exit, [
      401,
      { message: 'Unauthorized' },
      { 'WWW-Authenticate': 'Bearer realm="r"' },
    ])
  })

  it('claim errors are the body', async () => {
    const out = await run(`Bearer ${hs256({ iss: 'alice-iss', exp: 1 }, 'shh')}`, {
      claims_to_verify: ['exp'],
    })
    assert.deepEqual(out.exit, [
      401,
      { exp: 'token expired' },
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    ])
  })
})
