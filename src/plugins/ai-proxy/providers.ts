// ai-proxy's drivers: where each provider is reached, and how an OpenAI-format request and the
// provider's answer (whole, or as server-sent events) are translated. Providers whose API speaks
// OpenAI's format (openai, azure, mistral and llama2 with the `openai` format) pass bodies through;
// anthropic is translated both ways (Messages API for chat, Text Completions for completions).
import type { Row } from '../../pdk/types.js'

export type RouteType = 'llm/v1/chat' | 'llm/v1/completions' | 'preserve'

export interface ModelOptions {
  max_tokens: number | null
  temperature: number | null
  top_p: number | null
  top_k: number | null
  anthropic_version: string | null
  azure_instance: string | null
  azure_api_version: string | null
  azure_deployment_id: string | null
  llama2_format: string | null
  mistral_format: string | null
  upstream_url: string | null
  upstream_path: string | null
  input_cost: number | null
  output_cost: number | null
}

export interface ModelConf {
  provider: string
  name: string | null
  options: ModelOptions | null
}

export interface Endpoint {
  scheme: 'http' | 'https'
  host: string
  port: number
  path: string
  /** Query arguments the provider needs (azure's api-version). */
  query: Record<string, string>
}

/** Usage as OpenAI reports it. */
export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
}

/** What a stream taught us so far (for the log) and what it still owes the client. */
export interface StreamState {
  buffer: string
  id: string | null
  model: string | null
  usage: Usage | null
  text: string
  /** Content events seen (Kong counts one token per event when the provider reports no usage). */
  events: number
  done: boolean
}

export function newStreamState(): StreamState {
  return { buffer: '', id: null, model: null, usage: null, text: '', events: 0, done: false }
}

/** The API format spoken upstream. */
export type Format = 'openai' | 'anthropic'

/** The format a provider speaks, or null when Silverback cannot translate it yet. */
export function formatOf(model: ModelConf): Format | null {
  switch (model.provider) {
    case 'openai':
    case 'azure':
      return 'openai'
    case 'anthropic':
      return 'anthropic'
    case 'mistral':
      return model.options?.mistral_format === 'openai' ? 'openai' : null
    case 'llama2':
      return model.options?.llama2_format === 'openai' ? 'openai' : null
    default:
      return null
  }
}

const DEFAULT_PATHS: Record<string, Record<string, string>> = {
  openai: { 'llm/v1/chat': '/v1/chat/completions', 'llm/v1/completions': '/v1/completions' },
  anthropic: { 'llm/v1/chat': '/v1/messages', 'llm/v1/completions': '/v1/complete' },
  mistral: { 'llm/v1/chat': '/v1/chat/completions', 'llm/v1/completions': '/v1/completions' },
  llama2: { 'llm/v1/chat': '/v1/chat/completions', 'llm/v1/completions': '/v1/completions' },
}

const DEFAULT_HOSTS: Record<string, string> = {
  openai: 'api.openai.com',
  anthropic: 'api.anthropic.com',
  mistral: 'api.mistral.ai',
}

function parseUrl(url: string, keepPath: boolean): Endpoint {
  const u = new URL(url)
  const scheme = u.protocol === 'http:' ? 'http' : 'https'
  const port = u.port === '' ? (scheme === 'http' ? 80 : 443) : Number(u.port)
  const query: Record<string, string> = {}
  for (const [k, v] of u.searchParams) query[k] = v
  return {
    scheme,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    path: keepPath ? u.pathname || '/' : '/',
    query,
  }
}

/**
 * Where the request goes. `model.options.upstream_url` wins with its own path (Kong); else the
 * provider's host with `upstream_path` or the operation's path. Null path: keep the client's.
 */
export function endpointOf(model: ModelConf, routeType: RouteType): Endpoint | null {
  const o = model.options
  if (o?.upstream_url) return parseUrl(o.upstream_url, true)
  const defaultPath = routeType === 'preserve' ? null : DEFAULT_PATHS[model.provider]?.[routeType]
  if (model.provider === 'azure') {
    const suffix = routeType === 'llm/v1/completions' ? '/completions' : '/chat/completions'
    const path =
      o?.upstream_path ??
      (routeType === 'preserve' ? null : `/openai/deployments/${o?.azure_deployment_id}${suffix}`)
    return {
      scheme: 'https',
      host: `${o?.azure_instance}.openai.azure.com`,
      port: 443,
      path: path ?? '',
      query: { 'api-version': o?.azure_api_version ?? '2023-05-15' },
    }
  }
  const host = DEFAULT_HOSTS[model.provider]
  if (host === undefined) return null
  return { scheme: 'https', host, port: 443, path: o?.upstream_path ?? defaultPath ?? '', query: {} }
}

function setDefault(body: Row, key: string, value: unknown): void {
  if ((body[key] === undefined || body[key] === null) && value !== null && value !== undefined)
    body[key] = value
}

/** The OpenAI-format client request as the provider wants it. */
export function toProvider(
  format: Format,
  routeType: RouteType,
  req: Row,
  model: ModelConf,
  modelName: string | null,
): Row {
  const o = model.options
  if (format === 'openai') {
    const body: Row = { ...req }
    if (modelName !== null) body.model = modelName
    setDefault(body, 'max_tokens', o?.max_tokens)
    setDefault(body, 'temperature', o?.temperature)
    setDefault(body, 'top_p', o?.top_p)
    return body
  }
  // anthropic
  const body: Row = {}
  if (modelName !== null) body.model = modelName
  if (routeType === 'llm/v1/chat') {
    const system: string[] = []
    const messages: Row[] = []
    for (const m of req.messages as Row[]) {
      if (m === null || typeof m !== 'object') continue
      if (m.role === 'system') system.push(textOf(m.content))
      else messages.push({ role: m.role, content: m.content })
    }
    if (system.length > 0) body.system = system.join('\n')
    body.messages = messages
    body.max_tokens = req.max_tokens ?? o?.max_tokens ?? 256
  } else {
    body.prompt = `\n\nHuman: ${req.prompt as string}\n\nAssistant:`
    body.max_tokens_to_sample = req.max_tokens ?? o?.max_tokens ?? 256
  }
  setDefault(body, 'temperature', req.temperature ?? o?.temperature)
  setDefault(body, 'top_p', req.top_p ?? o?.top_p)
  setDefault(body, 'top_k', req.top_k ?? o?.top_k)
  if (req.stream === true) body.stream = true
  return body
}

/** Text of an OpenAI content (a string, or a list of parts). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return content
      .map((p) =>
        p !== null && typeof p === 'object' && typeof (p as Row).text === 'string' ? (p as Row).text : '',
      )
      .join('')
  return ''
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** The provider's whole answer in OpenAI's format. */
export function fromProvider(format: Format, routeType: RouteType, res: Row): Row {
  if (format === 'openai') return res
  if (routeType === 'llm/v1/chat') {
    const usage = (res.usage ?? {}) as Row
    const prompt = Number(usage.input_tokens ?? 0)
    const completion = Number(usage.output_tokens ?? 0)
    return {
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: textOf(res.content) },
          finish_reason: res.stop_reason ?? null,
        },
      ],
      created: nowSeconds(),
      id: res.id ?? null,
      model: res.model ?? null,
      object: 'chat.completion',
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    }
  }
  return {
    choices: [{ index: 0, text: res.completion ?? '', finish_reason: res.stop_reason ?? null }],
    created: nowSeconds(),
    model: res.model ?? null,
    object: 'text_completion',
  }
}

/** Server-sent events complete in `state.buffer` (the rest waits for the next chunk). */
function takeEvents(state: StreamState, chunk: string): { event: string | null; data: string }[] {
  state.buffer += chunk
  const out: { event: string | null; data: string }[] = []
  for (;;) {
    const m = /\r?\n\r?\n/.exec(state.buffer)
    if (m === null) break
    const block = state.buffer.slice(0, m.index)
    state.buffer = state.buffer.slice(m.index + m[0].length)
    let event: string | null = null
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
    }
    if (event !== null || data.length > 0) out.push({ event, data: data.join('\n') })
  }
  return out
}

function parse(data: string): Row | null {
  try {
    const v: unknown = JSON.parse(data)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : null
  } catch {
    return null
  }
}

const frame = (data: Row | string): string =>
  `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`

/**
 * Translates a piece of the provider's event stream into OpenAI's (`data: {chunk}` frames, then
 * `data: [DONE]`); `eof` flushes what is left. Updates `state` for the log.
 */
export function streamChunk(
  format: Format,
  routeType: RouteType,
  state: StreamState,
  chunk: string,
  eof: boolean,
): string {
  const events = takeEvents(state, eof && chunk === '' && state.buffer !== '' ? '\n\n' : chunk)
  if (eof && state.buffer.trim() !== '') {
    events.push(...takeEvents(state, '\n\n'))
  }
  let out = ''
  for (const ev of events) {
    if (format === 'openai') {
      if (ev.data === '[DONE]') {
        state.done = true
        out += frame('[DONE]')
        continue
      }
      const j = parse(ev.data)
      if (j !== null) {
        if (typeof j.model === 'string') state.model = j.model
        if (typeof j.id === 'string') state.id = j.id
        if (j.usage && typeof j.usage === 'object') state.usage = usageOf(j.usage as Row)
        const choice = Array.isArray(j.choices) ? (j.choices[0] as Row | undefined) : undefined
        const piece =
          routeType === 'llm/v1/chat'
            ? textOf((choice?.delta as Row | undefined)?.content)
            : textOf(choice?.text)
        if (piece !== '') {
          state.text += piece
          state.events++
        }
      }
      out += ev.event !== null ? `event: ${ev.event}\n${frame(ev.data)}` : frame(ev.data)
      continue
    }
    out += anthropicEvent(routeType, state, ev.event, ev.data)
  }
  if (eof && !state.done) {
    state.done = true
    out += frame('[DONE]')
  }
  return out
}

function usageOf(u: Row): Usage {
  const prompt = Number(u.prompt_tokens ?? 0)
  const completion = Number(u.completion_tokens ?? 0)
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: Number(u.total_tokens ?? prompt + completion),
  }
}

function anthropicEvent(
  routeType: RouteType,
  state: StreamState,
  event: string | null,
  data: string,
): string {
  const j = parse(data)
  if (j === null) return ''
  const type = event ?? (typeof j.type === 'string' ? j.type : '')
  const chunk = (delta: Row | null, text: string | null, finish: unknown): Row =>
    routeType === 'llm/v1/chat'
      ? {
          choices: [{ index: 0, delta: delta ?? {}, logprobs: null, finish_reason: finish ?? null }],
          created: nowSeconds(),
          id: state.id,
          model: state.model,
          object: 'chat.completion.chunk',
        }
      : {
          choices: [{ index: 0, text: text ?? '', logprobs: null, finish_reason: finish ?? null }],
          created: nowSeconds(),
          id: state.id,
          model: state.model,
          object: 'text_completion',
        }
  switch (type) {
    case 'message_start': {
      const msg = (j.message ?? {}) as Row
      state.id = typeof msg.id === 'string' ? msg.id : null
      state.model = typeof msg.model === 'string' ? msg.model : null
      const u = (msg.usage ?? {}) as Row
      state.usage = {
        prompt_tokens: Number(u.input_tokens ?? 0),
        completion_tokens: 0,
        total_tokens: Number(u.input_tokens ?? 0),
      }
      return frame(chunk({ role: 'assistant', content: '' }, null, null))
    }
    case 'content_block_delta': {
      const d = (j.delta ?? {}) as Row
      const text = typeof d.text === 'string' ? d.text : ''
      if (text === '') return ''
      state.text += text
      state.events++
      return frame(chunk({ content: text }, null, null))
    }
    case 'message_delta': {
      const d = (j.delta ?? {}) as Row
      const u = (j.usage ?? {}) as Row
      if (state.usage !== null && u.output_tokens !== undefined) {
        state.usage.completion_tokens = Number(u.output_tokens)
        state.usage.total_tokens = state.usage.prompt_tokens + state.usage.completion_tokens
      }
      return frame(chunk({}, null, d.stop_reason ?? null))
    }
    case 'message_stop':
      state.done = true
      return frame('[DONE]')
    case 'completion': {
      if (typeof j.model === 'string') state.model = j.model
      const text = typeof j.completion === 'string' ? j.completion : ''
      if (text !== '') {
        state.text += text
        state.events++
      }
      return frame(chunk(null, text, j.stop_reason ?? null))
    }
    case 'error':
      return frame(j)
    default:
      return ''
  }
}
