// ai-proxy through the real gateway and fake LLM providers on 127.0.0.1 (an OpenAI-like and an
// Anthropic-like API, reached through model.options.upstream_url): what the gateway sends them
// (path, auth, body shape), the OpenAI-format answers the client gets (whole and as server-sent
// events), the statistics in an http-log entry, a `{vault://env/...}` key, Kong's 400s for bad
// client payloads and Kong's refusals of bad configurations.
import assert from 'node:assert/strict'
import type http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { type HttpReceiver, startHttpReceiver } from '../../helpers/logging.js'
import { addPlugin, addRoute, refused, untilProxy } from '../../helpers/plugins.js'
import { send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are asserted field by field.
type Json = any

interface Seen {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: Record<string, unknown>
}

const seen: Seen[] = []

function sse(res: http.ServerResponse, frames: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  let i = 0
  const next = (): void => {
    if (i >= frames.length) {
      res.end()
      return
    }
    // split frames across writes to exercise re-assembly
    const f = frames[i++]
    const cut = Math.floor(f.length / 2)
    res.write(f.slice(0, cut))
    res.write(f.slice(cut))
    setImmediate(next)
  }
  next()
}

/** One message of AWS's binary event stream (CRCs left at zero: the gateway does not check them). */
function awsEvent(eventType: string, payload: unknown): Buffer {
  const header = (name: string, value: string | null): Buffer => {
    const n = Buffer.from(name)
    if (value === null) return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([0])]) // boolean true
    const v = Buffer.from(value)
    const len = Buffer.alloc(2)
    len.writeUInt16BE(v.length)
    return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([7]), len, v])
  }
  const headers = Buffer.concat([
    header(':event-type', eventType),
    header(':content-type', 'application/json'),
    header('x-flag', null),
    header(':message-type', 'event'),
  ])
  const body = Buffer.from(JSON.stringify(payload))
  const prelude = Buffer.alloc(12)
  prelude.writeUInt32BE(12 + headers.length + body.length + 4, 0)
  prelude.writeUInt32BE(headers.length, 4)
  return Buffer.concat([prelude, headers, body, Buffer.alloc(4)])
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** An OpenAI-like and Anthropic-like provider in one server. */
function provider(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
  const u = new URL(req.url ?? '/', 'http://x')
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(raw.toString()) as Record<string, unknown>
  } catch {
    body = { raw: raw.toString() }
  }
  seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body })
  switch (u.pathname) {
    case '/v1/chat/completions':
      if (body.stream === true) {
        sse(res, [
          `data: ${JSON.stringify({ id: 'c1', model: 'gpt-4o-2024', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] })}\n\n`,
          `data: ${JSON.stringify({ id: 'c1', model: 'gpt-4o-2024', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }] })}\n\n`,
          'data: [DONE]\n\n',
        ])
        return
      }
      reply(res, 200, {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1700000000,
        model: 'gpt-4o-2024',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
      })
      return
    case '/v1/completions':
      reply(res, 200, {
        id: 'cmpl-1',
        object: 'text_completion',
        model: 'gpt-3.5-turbo-instruct',
        choices: [{ index: 0, text: 'Paris', finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      })
      return
    case '/v1/messages':
      if (body.stream === true) {
        sse(res, [
          `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_1', model: 'claude-3-5-sonnet', usage: { input_tokens: 9, output_tokens: 1 } } })}\n\n`,
          `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`,
          `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bon' } })}\n\n`,
          `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'jour ☃' } })}\n\n`,
          `event: content_block_stop\ndata: ${JSON.stringify({ type: 'content_block_stop', index: 0 })}\n\n`,
          `event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } })}\n\n`,
          `event: message_stop\ndata: ${JSON.stringify({ type: 'message_stop' })}\n\n`,
        ])
        return
      }
      reply(res, 200, {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-3-5-sonnet',
        content: [{ type: 'text', text: 'Bonjour' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 20, output_tokens: 5 },
      })
      return
    case '/v1/complete':
      reply(res, 200, { completion: ' Paris', stop_reason: 'stop_sequence', model: 'claude-2.1' })
      return
    case '/cohere/v1/chat':
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'application/stream+json' })
        res.write(`${JSON.stringify({ event_type: 'stream-start', generation_id: 'g1' })}\n`)
        // one line split across writes
        const second = `${JSON.stringify({ event_type: 'text-generation', text: 'lo' })}\n`
        res.write(`${JSON.stringify({ event_type: 'text-generation', text: 'Hal' })}\n${second.slice(0, 20)}`)
        res.write(second.slice(20))
        res.end(
          `${JSON.stringify({ event_type: 'stream-end', finish_reason: 'COMPLETE', response: { meta: { billed_units: { input_tokens: 7, output_tokens: 2 } } } })}\n`,
        )
        return
      }
      reply(res, 200, {
        text: 'Hallo',
        generation_id: 'g1',
        finish_reason: 'COMPLETE',
        meta: { billed_units: { input_tokens: 7, output_tokens: 2 } },
      })
      return
    case '/gemini/v1beta/models/gemini-1.5-pro:generateContent':
      reply(res, 200, {
        candidates: [{ content: { role: 'model', parts: [{ text: 'Ciao' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1, totalTokenCount: 5 },
      })
      return
    case '/gemini/v1beta/models/gemini-1.5-pro:streamGenerateContent':
      sse(res, [
        `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Ci' }] } }] })}\r\n\r\n`,
        `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'ao' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, totalTokenCount: 6 } })}\r\n\r\n`,
      ])
      return
    case '/ollama/api/chat':
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' })
        res.write(
          `${JSON.stringify({ model: 'mistral', message: { role: 'assistant', content: 'Ho' }, done: false })}\n`,
        )
        res.end(
          `${JSON.stringify({ model: 'mistral', message: { role: 'assistant', content: 'la' }, done: true, done_reason: 'stop', prompt_eval_count: 6, eval_count: 2 })}\n`,
        )
        return
      }
      reply(res, 200, {
        model: 'mistral',
        message: { role: 'assistant', content: 'Hola' },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: 6,
        eval_count: 2,
      })
      return
    case '/bedrock/model/anthropic.claude-3-haiku/converse-stream': {
      const all = Buffer.concat([
        awsEvent('messageStart', { role: 'assistant' }),
        awsEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'He' } }),
        awsEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'j ☃' } }),
        awsEvent('contentBlockStop', { contentBlockIndex: 0 }),
        awsEvent('messageStop', { stopReason: 'end_turn' }),
        awsEvent('metadata', {
          usage: { inputTokens: 8, outputTokens: 2, totalTokens: 10 },
          metrics: { latencyMs: 5 },
        }),
      ])
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' })
      // cut inside messages
      res.write(all.subarray(0, 50))
      res.write(all.subarray(50, 131))
      res.end(all.subarray(131))
      return
    }
    case '/llama/generate':
      reply(res, 200, { data: [{ generated_text: 'Salut' }] })
      return
    case '/hf/models/gpt2':
      reply(res, 200, [{ generated_text: ' Paris.' }])
      return
    case '/bedrock/model/anthropic.claude-3-haiku/converse':
      reply(res, 200, {
        output: { message: { role: 'assistant', content: [{ text: 'Hej' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 8, outputTokens: 1, totalTokens: 9 },
      })
      return
    case '/v1/limited':
      reply(res, 429, { error: { message: 'Rate limit reached', type: 'requests' } })
      return
    default:
      reply(res, 404, { error: 'no such operation' })
  }
}

function chunks(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => f.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)))
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

describe('ai-proxy', () => {
  let up: Upstream
  let gw: Gateway
  let logs: HttpReceiver
  const chat = {
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ],
  }

  before(async () => {
    process.env.SILVERBACK_AI_TEST_KEY = 'sk-from-vault'
    up = await startUpstream(provider)
    logs = await startHttpReceiver()
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw?.stop()
    await up?.close()
    await logs?.close()
  })

  /** A route whose service points nowhere: ai-proxy chooses the target. */
  async function aiRoute(config: Record<string, unknown>, plugins: Record<string, unknown>[] = []) {
    const r = await addRoute(gw, 'http://127.0.0.1:9/nowhere')
    for (const p of plugins) await addPlugin(gw, p, `/routes/${r.routeId}`)
    await addPlugin(gw, { name: 'ai-proxy', config }, `/routes/${r.routeId}`)
    // a GET has no JSON body: ai-proxy answers 400 once it runs on the route (preserve: proxied)
    await untilProxy(r.url, config.route_type === 'preserve' ? 200 : 400)
    return r
  }

  const openai = (path: string, extra: Record<string, unknown> = {}) => ({
    route_type: 'llm/v1/chat',
    auth: { header_name: 'Authorization', header_value: 'Bearer sk-test' },
    model: { provider: 'openai', name: 'gpt-4o', options: { upstream_url: `${up.url}${path}` } },
    ...extra,
  })
  const anthropic = (routeType: string, path: string, extra: Record<string, unknown> = {}) => ({
    route_type: routeType,
    auth: { header_name: 'x-api-key', header_value: 'anthropic-key' },
    model: {
      provider: 'anthropic',
      name: 'claude-3-5-sonnet',
      options: { anthropic_version: '2023-06-01', upstream_url: `${up.url}${path}`, max_tokens: 512 },
    },
    ...extra,
  })

  it('stores the configuration with Kong 3.9 defaults', async () => {
    const p = await addPlugin(gw, {
      name: 'ai-proxy',
      config: { route_type: 'llm/v1/chat', model: { provider: 'openai' } },
    })
    const config = p.config as Record<string, Json>
    assert.equal(config.response_streaming, 'allow')
    assert.equal(config.max_request_body_size, 8192)
    assert.equal(config.model_name_header, true)
    assert.deepEqual(config.logging, { log_statistics: false, log_payloads: false })
    assert.equal(config.model.options, null)
    await refused(gw, `/plugins/${p.id as string}`, {})
    await send(`${gw.admin}/plugins/${p.id as string}`, { method: 'DELETE' })
  })

  it('openai chat: rewrites target, path, auth and model; the answer goes back as is', async () => {
    const r = await aiRoute(openai('/v1/chat/completions'))
    seen.length = 0
    const res = await post(r.url, chat, { authorization: 'Bearer client-token' })
    assert.equal(res.status, 200, res.body)
    assert.equal(res.headers['x-kong-llm-model'], 'openai/gpt-4o')
    const body = JSON.parse(res.body)
    assert.equal(body.choices[0].message.content, 'Hello!')
    assert.equal(seen.length, 1)
    const s = seen[0]
    assert.equal(s.method, 'POST')
    assert.equal(s.path, '/v1/chat/completions')
    assert.equal(s.headers.authorization, 'Bearer sk-test', 'allow_override false: the configured key wins')
    assert.equal(s.headers['content-type'], 'application/json')
    assert.deepEqual(s.body.messages, chat.messages)
    assert.equal(s.body.model, 'gpt-4o')
    assert.equal(s.body.max_tokens, 256)
  })

  it('openai completions, and allow_override keeps the client key', async () => {
    const r = await aiRoute({
      route_type: 'llm/v1/completions',
      auth: { header_name: 'Authorization', header_value: 'Bearer sk-test', allow_override: true },
      model: { provider: 'openai', options: { upstream_url: `${up.url}/v1/completions`, temperature: 0.5 } },
    })
    seen.length = 0
    const res = await post(
      r.url,
      { prompt: 'Capital of France?', model: 'gpt-3.5-turbo-instruct' },
      { authorization: 'Bearer mine' },
    )
    assert.equal(res.status, 200, res.body)
    assert.equal(JSON.parse(res.body).choices[0].text, 'Paris')
    assert.equal(res.headers['x-kong-llm-model'], 'openai/gpt-3.5-turbo-instruct')
    assert.equal(seen[0].headers.authorization, 'Bearer mine')
    assert.equal(seen[0].body.model, 'gpt-3.5-turbo-instruct')
    assert.equal(seen[0].body.temperature, 0.5)
  })

  it('anthropic chat: Messages API request, OpenAI-format answer', async () => {
    const r = await aiRoute(anthropic('llm/v1/chat', '/v1/messages'))
    seen.length = 0
    const res = await post(r.url, { ...chat, temperature: 0.2 })
    assert.equal(res.status, 200, res.body)
    assert.match(String(res.headers['content-type']), /application\/json/)
    const body = JSON.parse(res.body)
    assert.equal(body.object, 'chat.completion')
    assert.equal(body.model, 'claude-3-5-sonnet')
    assert.deepEqual(body.choices, [
      { index: 0, message: { role: 'assistant', content: 'Bonjour' }, finish_reason: 'end_turn' },
    ])
    assert.deepEqual(body.usage, { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 })
    const s = seen[0]
    assert.equal(s.path, '/v1/messages')
    assert.equal(s.headers['x-api-key'], 'anthropic-key')
    assert.equal(s.headers['anthropic-version'], '2023-06-01')
    assert.equal(s.body.system, 'Be brief.')
    assert.deepEqual(s.body.messages, [{ role: 'user', content: 'Hi' }])
    assert.equal(s.body.model, 'claude-3-5-sonnet')
    assert.equal(s.body.max_tokens, 512)
    assert.equal(s.body.temperature, 0.2)
  })

  it('anthropic completions: Text Completions request, OpenAI-format answer', async () => {
    const r = await aiRoute(anthropic('llm/v1/completions', '/v1/complete'))
    seen.length = 0
    const res = await post(r.url, { prompt: 'Capital of France?' })
    assert.equal(res.status, 200, res.body)
    const body = JSON.parse(res.body)
    assert.equal(body.object, 'text_completion')
    assert.equal(body.choices[0].text, ' Paris')
    assert.equal(body.choices[0].finish_reason, 'stop_sequence')
    assert.equal(seen[0].path, '/v1/complete')
    assert.equal(seen[0].body.prompt, '\n\nHuman: Capital of France?\n\nAssistant:')
    assert.equal(seen[0].body.max_tokens_to_sample, 512)
  })

  it('anthropic streaming: the event stream becomes OpenAI chunks and [DONE]', async () => {
    const r = await aiRoute(anthropic('llm/v1/chat', '/v1/messages'))
    seen.length = 0
    const res = await post(r.url, { ...chat, stream: true })
    assert.equal(res.status, 200, res.body)
    assert.match(String(res.headers['content-type']), /text\/event-stream/)
    assert.equal(seen[0].body.stream, true)
    const list = chunks(res.body) as Json[]
    assert.equal(list.at(-1), '[DONE]')
    const objects = list.slice(0, -1)
    assert.ok(objects.every((c) => c.object === 'chat.completion.chunk' && c.model === 'claude-3-5-sonnet'))
    const text = objects.map((c) => c.choices[0].delta.content ?? '').join('')
    assert.equal(text, 'Bonjour ☃')
    assert.equal(objects.at(-1).choices[0].finish_reason, 'end_turn')
  })

  it('openai streaming passes the event stream through; response_streaming always forces it', async () => {
    const r = await aiRoute(openai('/v1/chat/completions', { response_streaming: 'always' }))
    seen.length = 0
    const res = await post(r.url, chat)
    assert.equal(res.status, 200, res.body)
    assert.equal(seen[0].body.stream, true)
    const list = chunks(res.body) as Json[]
    assert.equal(list.at(-1), '[DONE]')
    assert.equal(
      list
        .filter((c) => c !== '[DONE]')
        .map((c) => c.choices[0].delta.content)
        .join(''),
      'Hello',
    )
  })

  it('cohere chat: Chat API request, OpenAI-format answer, streamed too', async () => {
    const r = await aiRoute({
      route_type: 'llm/v1/chat',
      auth: { header_name: 'Authorization', header_value: 'Bearer co-key' },
      model: { provider: 'cohere', name: 'command-r', options: { upstream_url: `${up.url}/cohere/v1/chat` } },
    })
    seen.length = 0
    const history = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'In German?' },
      ],
    }
    const res = await post(r.url, history)
    assert.equal(res.status, 200, res.body)
    const body = JSON.parse(res.body)
    assert.deepEqual(body.choices[0], {
      index: 0,
      message: { role: 'assistant', content: 'Hallo' },
      finish_reason: 'stop',
    })
    assert.deepEqual(body.usage, { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 })
    assert.equal(body.model, 'command-r')
    assert.deepEqual(seen[0].body, {
      message: 'In German?',
      chat_history: [
        { role: 'USER', message: 'Hi' },
        { role: 'CHATBOT', message: 'Hello' },
      ],
      preamble: 'Be brief.',
      model: 'command-r',
      max_tokens: 256,
    })
    const streamed = await post(r.url, { ...history, stream: true })
    assert.match(String(streamed.headers['content-type']), /text\/event-stream/)
    const list = chunks(streamed.body) as Json[]
    assert.equal(list.at(-1), '[DONE]')
    assert.equal(
      list
        .slice(0, -1)
        .map((c) => c.choices[0].delta.content ?? '')
        .join(''),
      'Hallo',
    )
  })

  it('gemini chat: generateContent with the key as a query parameter, and its SSE stream', async () => {
    const r = await aiRoute({
      route_type: 'llm/v1/chat',
      auth: { param_name: 'key', param_value: 'g-key', param_location: 'query' },
      model: {
        provider: 'gemini',
        name: 'gemini-1.5-pro',
        options: { upstream_url: `${up.url}/gemini/v1beta/models/gemini-1.5-pro:generateContent` },
      },
    })
    seen.length = 0
    const res = await post(r.url, chat)
    assert.equal(res.status, 200, res.body)
    const body = JSON.parse(res.body)
    assert.equal(body.choices[0].message.content, 'Ciao')
    assert.equal(body.choices[0].finish_reason, 'stop')
    assert.deepEqual(body.usage, { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 })
    assert.equal(seen[0].path, '/gemini/v1beta/models/gemini-1.5-pro:generateContent?key=g-key')
    assert.deepEqual(seen[0].body, {
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 256 },
    })
    seen.length = 0
    const streamed = await post(r.url, { ...chat, stream: true })
    assert.equal(streamed.status, 200, streamed.body)
    assert.equal(seen[0].path, '/gemini/v1beta/models/gemini-1.5-pro:streamGenerateContent?alt=sse&key=g-key')
    const list = chunks(streamed.body) as Json[]
    assert.equal(list.at(-1), '[DONE]')
    assert.equal(
      list
        .slice(0, -1)
        .map((c) => c.choices[0].delta.content ?? '')
        .join(''),
      'Ciao',
    )
  })

  it('mistral with the ollama format: /api/chat request and NDJSON stream', async () => {
    const r = await aiRoute({
      route_type: 'llm/v1/chat',
      model: {
        provider: 'mistral',
        name: 'mistral',
        options: { mistral_format: 'ollama', upstream_url: `${up.url}/ollama/api/chat`, temperature: 1 },
      },
    })
    seen.length = 0
    const res = await post(r.url, chat)
    assert.equal(res.status, 200, res.body)
    const body = JSON.parse(res.body)
    assert.equal(body.choices[0].message.content, 'Hola')
    assert.deepEqual(body.usage, { prompt_tokens: 6, completion_tokens: 2, total_tokens: 8 })
    assert.deepEqual(seen[0].body, {
      model: 'mistral',
      messages: chat.messages,
      stream: false,
      options: { num_predict: 256, temperature: 1 },
    })
    const streamed = await post(r.url, { ...chat, stream: true })
    const list = chunks(streamed.body) as Json[]
    assert.equal(list.at(-1), '[DONE]')
    assert.equal(
      list
        .slice(0, -1)
        .map((c) => c.choices[0].delta.content ?? '')
        .join(''),
      'Hola',
    )
  })

  it('llama2 with the raw format: [INST] prompt, text-generation answer', async () => {
    const r = await aiRoute({
      route_type: 'llm/v1/chat',
      model: {
        provider: 'llama2',
        name: 'llama-2-7b',
        options: { llama2_format: 'raw', upstream_url: `${up.url}/llama/generate` },
      },
    })
    seen.length = 0
    const res = await post(r.url, chat)
    assert.equal(res.status, 200, res.body)
    assert.equal(JSON.parse(res.body).choices[0].message.content, 'Salut')
    assert.deepEqual(seen[0].body, {
      inputs: '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]',
      parameters: { max_new_tokens: 256 },
    })
  })

  it('huggingface completions: text-generation request and answer', async () => {
    const r = await aiRoute({
      route_type: 'llm/v1/completions',
      auth: { header_name: 'Authorization', header_value: 'Bearer hf-key' },
      model: {
        provider: 'huggingface',
        name: 'gpt2',
        options: { upstream_url: `${up.url}/hf/models/gpt2`, huggingface: { wait_for_model: true } },
      },
    })
    seen.length = 0
    const res = await post(r.url, { prompt: 'The capital of France is' })
    assert.equal(res.status, 200, res.body)
    assert.equal(JSON.parse(res.body).choices[0].text, ' Paris.')
    assert.deepEqual(seen[0].body, {
      inputs: 'The capital of France is',
      parameters: { max_new_tokens: 256, return_full_text: false },
      options: { wait_for_model: true },
    })
    const streamed = await post(r.url, { prompt: 'x', stream: true })
    assert.equal(streamed.status, 400)
  })

  it('bedrock chat: Converse request signed with SigV4, OpenAI-format answer', async () => {
    const r = await aiRoute({
      route_type: 'llm/v1/chat',
      auth: { aws_access_key_id: 'AKIDTEST', aws_secret_access_key: 'secret' },
      model: {
        provider: 'bedrock',
        name: 'anthropic.claude-3-haiku',
        options: {
          upstream_url: `${up.url}/bedrock/model/anthropic.claude-3-haiku/converse`,
          bedrock: { aws_region: 'eu-west-1' },
        },
      },
    })
    seen.length = 0
    const res = await post(r.url, chat)
    assert.equal(res.status, 200, res.body)
    const body = JSON.parse(res.body)
    assert.equal(body.choices[0].message.content, 'Hej')
    assert.equal(body.choices[0].finish_reason, 'stop')
    assert.deepEqual(body.usage, { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 })
    assert.match(
      String(seen[0].headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    )
    assert.match(String(seen[0].headers['x-amz-date']), /^\d{8}T\d{6}Z$/)
    assert.deepEqual(seen[0].body, {
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 256 },
    })
    seen.length = 0
    const streamed = await post(r.url, { ...chat, stream: true })
    assert.equal(streamed.status, 200, streamed.body)
    assert.equal(seen[0].path, '/bedrock/model/anthropic.claude-3-haiku/converse-stream')
    assert.match(String(streamed.headers['content-type']), /text\/event-stream/)
    const list = chunks(streamed.body) as Json[]
    assert.equal(list.at(-1), '[DONE]')
    const objects = list.slice(0, -1)
    assert.equal(objects.map((c) => c.choices[0].delta.content ?? '').join(''), 'Hej ☃')
    assert.equal(objects.at(-1).choices[0].finish_reason, 'stop')
  })

  it('preserve: the body and the answer pass unchanged, auth and target are set', async () => {
    const r = await aiRoute({
      route_type: 'preserve',
      auth: { header_name: 'x-api-key', header_value: 'anthropic-key' },
      model: {
        provider: 'anthropic',
        options: { anthropic_version: '2023-06-01', upstream_url: `${up.url}/v1/messages` },
      },
    })
    seen.length = 0
    const native = { model: 'claude-3-5-sonnet', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }
    const res = await post(r.url, native)
    assert.equal(res.status, 200, res.body)
    assert.equal(JSON.parse(res.body).type, 'message', 'the provider answer, untranslated')
    assert.equal(res.headers['x-kong-llm-model'], 'anthropic/claude-3-5-sonnet')
    assert.equal(seen[0].path, '/v1/messages')
    assert.equal(seen[0].headers['x-api-key'], 'anthropic-key')
    assert.equal(seen[0].headers['anthropic-version'], '2023-06-01')
    assert.deepEqual(seen[0].body, native)
  })

  it('provider errors go back unchanged', async () => {
    const r = await aiRoute(openai('/v1/limited'))
    const res = await post(r.url, chat)
    assert.equal(res.status, 429)
    assert.deepEqual(JSON.parse(res.body), { error: { message: 'Rate limit reached', type: 'requests' } })
  })

  it("refuses bad client payloads with Kong's 400 bodies", async () => {
    const r = await aiRoute(openai('/v1/chat/completions', { response_streaming: 'deny' }))
    seen.length = 0
    const cases: [unknown, string][] = [
      ['{not json', 'content-type header does not match request body, or bad JSON formatting'],
      [[1, 2], 'content-type header does not match request body, or bad JSON formatting'],
      [{}, 'request format not recognised'],
      [{ messages: [] }, 'request format not recognised'],
      [
        { prompt: 'x' },
        '[llm/v1/completions] message format is not compatible with [llm/v1/chat] route type',
      ],
      [
        { prompt: 'x', messages: [{ role: 'user', content: 'x' }] },
        'request matches multiple LLM request formats',
      ],
      [{ ...chat, stream: true }, 'response streaming is not enabled for this LLM'],
      [{ ...chat, model: 'gpt-3.5' }, 'cannot use own model - must be: gpt-4o'],
      [
        { ...chat, filler: 'x'.repeat(9000) },
        'content-type header does not match request body, or bad JSON formatting',
      ],
    ]
    for (const [body, message] of cases) {
      const res = await post(r.url, body)
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 40)}: ${res.body}`)
      assert.deepEqual(JSON.parse(res.body), { error: { message } })
    }
    const noModel = await aiRoute({
      ...openai('/v1/chat/completions'),
      model: { provider: 'openai', options: { upstream_url: `${up.url}/v1/chat/completions` } },
    })
    const res = await post(noModel.url, chat)
    assert.deepEqual(JSON.parse(res.body), {
      error: { message: 'model parameter not found in request, nor in gateway configuration' },
    })
    assert.equal(seen.length, 0, 'nothing reached the provider')
  })

  it('logs statistics and payloads under ai.proxy; resolves a {vault://env/...} key', async () => {
    const r = await aiRoute(
      {
        ...anthropic('llm/v1/chat', '/v1/messages'),
        auth: { header_name: 'x-api-key', header_value: '{vault://env/silverback-ai-test-key}' },
        logging: { log_statistics: true, log_payloads: true },
      },
      [{ name: 'http-log', config: { http_endpoint: `${logs.url}/ai`, queue: { max_batch_size: 1 } } }],
    )
    seen.length = 0
    const res = await post(r.url, chat)
    assert.equal(res.status, 200, res.body)
    assert.equal(seen[0].headers['x-api-key'], 'sk-from-vault')
    const entry = () =>
      logs.received
        .filter((q) => q.url === '/ai')
        .map((q) => JSON.parse(q.body) as Record<string, Json>)
        .find((e) => e.response?.status === 200)
    await until(async () => entry() !== undefined)
    const ai = entry()!.ai.proxy
    assert.equal(ai.meta.provider_name, 'anthropic')
    assert.equal(ai.meta.request_model, 'claude-3-5-sonnet')
    assert.equal(ai.meta.response_model, 'claude-3-5-sonnet')
    assert.equal(typeof ai.meta.plugin_id, 'string')
    assert.equal(typeof ai.meta.llm_latency, 'number')
    assert.equal(ai.usage.prompt_tokens, 20)
    assert.equal(ai.usage.completion_tokens, 5)
    assert.equal(ai.usage.total_tokens, 25)
    assert.equal(ai.usage.cost, 0)
    assert.equal(JSON.parse(ai.payload.request).system, 'Be brief.')
    assert.equal(JSON.parse(ai.payload.response).choices[0].message.content, 'Bonjour')
  })

  it('logs the usage of a stream', async () => {
    const r = await aiRoute(
      { ...anthropic('llm/v1/chat', '/v1/messages'), logging: { log_statistics: true, log_payloads: false } },
      [{ name: 'http-log', config: { http_endpoint: `${logs.url}/stream`, queue: { max_batch_size: 1 } } }],
    )
    const res = await post(r.url, { ...chat, stream: true })
    assert.equal(res.status, 200)
    const entry = () =>
      logs.received
        .filter((q) => q.url === '/stream')
        .map((q) => JSON.parse(q.body) as Record<string, Json>)
        .find((e) => e.response?.status === 200)
    await until(async () => entry() !== undefined)
    const ai = entry()!.ai.proxy
    assert.deepEqual(
      { p: ai.usage.prompt_tokens, c: ai.usage.completion_tokens, t: ai.usage.total_tokens },
      { p: 9, c: 4, t: 13 },
    )
    assert.equal(ai.payload, undefined)
  })

  it("refuses bad configurations with Kong's messages", async () => {
    const cases: [Record<string, unknown>, unknown][] = [
      [{ model: { provider: 'openai' } }, { config: { route_type: 'required field missing' } }],
      [
        { route_type: 'llm/v1/embeddings', model: { provider: 'openai' } },
        { config: { route_type: 'expected one of: llm/v1/chat, llm/v1/completions, preserve' } },
      ],
      [{ route_type: 'llm/v1/chat' }, { config: { model: { provider: 'required field missing' } } }],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'skynet' } },
        {
          config: {
            model: {
              provider:
                'expected one of: openai, azure, anthropic, cohere, mistral, llama2, gemini, bedrock, huggingface',
            },
          },
        },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'azure', options: { azure_instance: 'i' } } },
        { config: { '@entity': ["must set 'model.options.azure_deployment_id' for azure provider"] } },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'anthropic' } },
        { config: { '@entity': ["must set 'model.options.anthropic_version' for anthropic provider"] } },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'mistral' } },
        { config: { '@entity': ["must set 'model.options.mistral_format' for mistral provider"] } },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'llama2', options: { llama2_format: 'raw' } } },
        { config: { '@entity': ["must set 'model.options.upstream_url' for self-hosted providers/models"] } },
      ],
      [
        {
          route_type: 'llm/v1/completions',
          model: { provider: 'anthropic', options: { anthropic_version: '1' } },
          logging: { log_statistics: true },
        },
        {
          config: {
            '@entity': ['anthropic does not support statistics when route_type is llm/v1/completions'],
          },
        },
      ],
      [
        { route_type: 'preserve', model: { provider: 'openai' }, logging: { log_statistics: true } },
        { config: { '@entity': ['openai does not support statistics when route_type is preserve'] } },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'openai' }, auth: { header_name: 'Authorization' } },
        {
          config: {
            '@entity': ["all or none of these fields must be set: 'auth.header_name', 'auth.header_value'"],
          },
        },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'gemini' }, auth: { allow_override: true } },
        {
          config: {
            auth: { allow_override: 'value must be false' },
            '@entity': ['bedrock and gemini only support auth.allow_override = false'],
          },
        },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'openai', options: { temperature: 9 } } },
        { config: { model: { options: { temperature: 'value should be between 0 and 5' } } } },
      ],
      [
        { route_type: 'llm/v1/chat', model: { provider: 'openai' }, response_streaming: 'maybe' },
        { config: { response_streaming: 'expected one of: allow, deny, always' } },
      ],
    ]
    const failures: string[] = []
    for (const [config, fields] of cases) {
      const res = await refused(gw, '/plugins', { name: 'ai-proxy', config })
      assert.equal(res.status, 400, JSON.stringify(config))
      assert.equal(res.body.name, 'schema violation')
      try {
        assert.deepEqual(res.body.fields, fields)
      } catch {
        failures.push(`${JSON.stringify(config)} → ${JSON.stringify(res.body.fields)}`)
      }
    }
    assert.deepEqual(failures, [])
  })
})
