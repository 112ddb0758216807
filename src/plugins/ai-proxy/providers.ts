// ai-proxy's drivers: where each provider is reached, and how an OpenAI-format request and the
// provider's answer (whole, or streamed) are translated. Providers whose API speaks OpenAI's
// format (openai, azure, mistral and llama2 with the `openai` format, huggingface chat) pass
// bodies through; the others are translated both ways.
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
  gemini: { api_endpoint: string | null; project_id: string | null; location_id: string | null } | null
  bedrock: { aws_region: string | null } | null
  huggingface: { use_cache: boolean | null; wait_for_model: boolean | null } | null
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
  /** Empty: the client's path is kept (preserve). */
  path: string
  /** Query arguments the provider needs (azure's api-version, gemini's alt=sse). */
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
  /** Content events seen (one token per event when the provider reports no usage, as Kong). */
  events: number
  done: boolean
  /** Bytes of a binary event stream (bedrock) not read yet. */
  bytes: Buffer
}

export function newStreamState(model: string | null = null): StreamState {
  return {
    buffer: '',
    id: null,
    model,
    usage: null,
    text: '',
    events: 0,
    done: false,
    bytes: Buffer.alloc(0),
  }
}

/** The API format spoken upstream. */
export type Format =
  | 'openai'
  | 'anthropic'
  | 'cohere'
  | 'gemini'
  | 'ollama'
  | 'bedrock'
  | 'hf-text'
  | 'llama2-raw'

/** The format a provider speaks for a route type, or null when it cannot be translated here. */
export function formatOf(model: ModelConf, routeType: RouteType): Format | null {
  const o = model.options
  switch (model.provider) {
    case 'openai':
    case 'azure':
      return 'openai'
    case 'anthropic':
      return 'anthropic'
    case 'cohere':
      return 'cohere'
    case 'gemini':
      return 'gemini'
    case 'bedrock':
      return 'bedrock'
    case 'huggingface':
      return routeType === 'llm/v1/completions' ? 'hf-text' : 'openai'
    case 'mistral':
      return o?.mistral_format === 'openai' ? 'openai' : o?.mistral_format === 'ollama' ? 'ollama' : null
    case 'llama2':
      if (o?.llama2_format === 'raw') return 'llama2-raw'
      return o?.llama2_format === 'openai' ? 'openai' : o?.llama2_format === 'ollama' ? 'ollama' : null
    default:
      return null
  }
}

/** Formats whose streams are newline-delimited JSON rather than server-sent events. */
export function ndjson(format: Format): boolean {
  return format === 'cohere' || format === 'ollama'
}

/** Whether Silverback can stream this format back (bedrock's binary event stream is not read). */
export function canStream(format: Format): boolean {
  return format !== 'hf-text' && format !== 'llama2-raw'
}

const OPENAI_PATHS: Record<string, string> = {
  'llm/v1/chat': '/v1/chat/completions',
  'llm/v1/completions': '/v1/completions',
}

function defaultRoute(
  model: ModelConf,
  routeType: RouteType,
  name: string,
): { host: string; path: string } | null {
  const chat = routeType === 'llm/v1/chat'
  const o = model.options
  switch (model.provider) {
    case 'openai':
      return { host: 'api.openai.com', path: OPENAI_PATHS[routeType] ?? '' }
    case 'mistral':
      return o?.mistral_format === 'openai'
        ? { host: 'api.mistral.ai', path: OPENAI_PATHS[routeType] ?? '' }
        : null
    case 'anthropic':
      return { host: 'api.anthropic.com', path: chat ? '/v1/messages' : '/v1/complete' }
    case 'cohere':
      return { host: 'api.cohere.com', path: chat ? '/v1/chat' : '/v1/generate' }
    case 'huggingface':
      return {
        host: 'api-inference.huggingface.co',
        path: chat ? `/models/${name}/v1/chat/completions` : `/models/${name}`,
      }
    case 'gemini': {
      const g = o?.gemini
      if (g?.api_endpoint && g.project_id && g.location_id)
        return {
          host: g.api_endpoint,
          path: `/v1/projects/${g.project_id}/locations/${g.location_id}/publishers/google/models/${name}:generateContent`,
        }
      return { host: 'generativelanguage.googleapis.com', path: `/v1beta/models/${name}:generateContent` }
    }
    case 'bedrock': {
      const region =
        o?.bedrock?.aws_region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
      return {
        host: `bedrock-runtime.${region}.amazonaws.com`,
        path: `/model/${encodeURIComponent(name)}/converse`,
      }
    }
    default:
      return null
  }
}

/**
 * Where the request goes. `model.options.upstream_url` wins with its own path (Kong); else the
 * provider's host with `upstream_path` or the operation's path. Null: no known endpoint.
 */
export function endpointOf(
  model: ModelConf,
  routeType: RouteType,
  name: string | null,
  stream: boolean,
): Endpoint | null {
  const o = model.options
  let ep: Endpoint | null = null
  if (o?.upstream_url) {
    const u = new URL(o.upstream_url)
    const scheme = u.protocol === 'http:' ? 'http' : 'https'
    const query: Record<string, string> = {}
    for (const [k, v] of u.searchParams) query[k] = v
    ep = {
      scheme,
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port === '' ? (scheme === 'http' ? 80 : 443) : Number(u.port),
      path: u.pathname || '/',
      query,
    }
  } else if (model.provider === 'azure') {
    const suffix = routeType === 'llm/v1/completions' ? '/completions' : '/chat/completions'
    const path =
      o?.upstream_path ??
      (routeType === 'preserve' ? '' : `/openai/deployments/${o?.azure_deployment_id}${suffix}`)
    ep = {
      scheme: 'https',
      host: `${o?.azure_instance}.openai.azure.com`,
      port: 443,
      path,
      query: { 'api-version': o?.azure_api_version ?? '2023-05-15' },
    }
  } else {
    const d = defaultRoute(model, routeType, name ?? '')
    if (d === null) return null
    const path = o?.upstream_path ?? (routeType === 'preserve' ? '' : d.path)
    ep = { scheme: 'https', host: d.host, port: 443, path, query: {} }
  }
  if (model.provider === 'bedrock' && stream && ep.path.endsWith('/converse')) ep.path = `${ep.path}-stream`
  if (model.provider === 'gemini' && stream && ep.path.endsWith(':generateContent')) {
    ep.path = `${ep.path.slice(0, -':generateContent'.length)}:streamGenerateContent`
    ep.query = { ...ep.query, alt: 'sse' }
  }
  return ep
}

function setDefault(body: Row, key: string, value: unknown): void {
  if ((body[key] === undefined || body[key] === null) && value !== null && value !== undefined)
    body[key] = value
}

/** Drops null/undefined members. */
function compact(row: Row): Row {
  const out: Row = {}
  for (const [k, v] of Object.entries(row)) if (v !== null && v !== undefined) out[k] = v
  return out
}

/** Text of an OpenAI content (a string, or a list of parts). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return content
      .map((p) =>
        p !== null && typeof p === 'object' && typeof (p as Row).text === 'string' ? (p as Row).text : '',
      )
      .join('')
  return ''
}

/** The system prompt and the other messages of an OpenAI chat request. */
function split(req: Row): { system: string[]; messages: { role: string; text: string }[] } {
  const system: string[] = []
  const messages: { role: string; text: string }[] = []
  for (const m of (req.messages ?? []) as Row[]) {
    if (m === null || typeof m !== 'object') continue
    if (m.role === 'system') system.push(textOf(m.content))
    else messages.push({ role: String(m.role), text: textOf(m.content) })
  }
  return { system, messages }
}

/** The OpenAI-format client request as the provider wants it. */
export function toProvider(
  format: Format,
  routeType: RouteType,
  req: Row,
  model: ModelConf,
  name: string | null,
): Row {
  const o = model.options
  const chat = routeType === 'llm/v1/chat'
  const maxTokens = req.max_tokens ?? o?.max_tokens ?? null
  const temperature = req.temperature ?? o?.temperature ?? null
  const topP = req.top_p ?? o?.top_p ?? null
  const topK = req.top_k ?? o?.top_k ?? null
  const stream = req.stream === true
  switch (format) {
    case 'openai': {
      const body: Row = { ...req }
      if (name !== null) body.model = name
      setDefault(body, 'max_tokens', o?.max_tokens)
      setDefault(body, 'temperature', o?.temperature)
      setDefault(body, 'top_p', o?.top_p)
      return body
    }
    case 'anthropic': {
      if (chat) {
        const { system } = split(req)
        const messages = ((req.messages ?? []) as Row[])
          .filter((m) => m !== null && typeof m === 'object' && m.role !== 'system')
          .map((m) => ({ role: m.role, content: m.content }))
        return compact({
          model: name,
          system: system.length > 0 ? system.join('\n') : null,
          messages,
          max_tokens: maxTokens ?? 256,
          temperature,
          top_p: topP,
          top_k: topK,
          stream: stream ? true : null,
        })
      }
      return compact({
        model: name,
        prompt: `\n\nHuman: ${req.prompt as string}\n\nAssistant:`,
        max_tokens_to_sample: maxTokens ?? 256,
        temperature,
        top_p: topP,
        top_k: topK,
        stream: stream ? true : null,
      })
    }
    case 'cohere': {
      const common = {
        model: name,
        max_tokens: maxTokens,
        temperature,
        p: topP,
        k: topK,
        stream: stream ? true : null,
      }
      if (!chat) return compact({ prompt: req.prompt, ...common })
      const { system, messages } = split(req)
      const last = messages.pop()
      return compact({
        message: last?.text ?? '',
        chat_history: messages.map((m) => ({
          role: m.role === 'assistant' ? 'CHATBOT' : 'USER',
          message: m.text,
        })),
        preamble: system.length > 0 ? system.join('\n') : null,
        ...common,
      })
    }
    case 'gemini': {
      const { system, messages } = split(req)
      const contents = chat
        ? messages.map((m) => ({
            role: m.role === 'assistant' ? 'model' : 'user',
            parts: [{ text: m.text }],
          }))
        : [{ role: 'user', parts: [{ text: String(req.prompt) }] }]
      return compact({
        contents,
        systemInstruction: system.length > 0 ? { parts: system.map((text) => ({ text })) } : null,
        generationConfig: compact({ maxOutputTokens: maxTokens, temperature, topP, topK }),
      })
    }
    case 'ollama':
      return compact({
        model: name,
        ...(chat
          ? {
              messages: ((req.messages ?? []) as Row[]).map((m) => ({
                role: m.role,
                content: textOf(m.content),
              })),
            }
          : { prompt: req.prompt }),
        stream,
        options: compact({ num_predict: maxTokens, temperature, top_p: topP, top_k: topK }),
      })
    case 'bedrock': {
      const { system, messages } = split(req)
      const list = chat ? messages : [{ role: 'user', text: String(req.prompt) }]
      return compact({
        messages: list.map((m) => ({
          role: m.role === 'assistant' ? 'assistant' : 'user',
          content: [{ text: m.text }],
        })),
        system: system.length > 0 ? system.map((text) => ({ text })) : null,
        inferenceConfig: compact({ maxTokens, temperature, topP }),
      })
    }
    case 'llama2-raw':
      return compact({
        inputs: chat ? llamaPrompt((req.messages ?? []) as Row[]) : req.prompt,
        parameters: compact({ max_new_tokens: maxTokens, temperature, top_p: topP, top_k: topK }),
      })
    case 'hf-text':
      return compact({
        inputs: req.prompt,
        parameters: compact({
          max_new_tokens: maxTokens,
          temperature,
          top_p: topP,
          top_k: topK,
          return_full_text: false,
        }),
        options: o?.huggingface ? compact({ ...o.huggingface }) : null,
      })
  }
}

/** Llama 2's chat template: `<s>[INST] <<SYS>>…<</SYS>> user [/INST] answer </s><s>[INST] …`. */
export function llamaPrompt(messages: Row[]): string {
  let out = ''
  let system = ''
  let open = false
  for (const m of messages) {
    if (m === null || typeof m !== 'object') continue
    const text = textOf(m.content)
    if (m.role === 'system') system += text
    else if (m.role === 'assistant') {
      out += ` ${text} </s>`
      open = false
    } else {
      const sys = system !== '' ? `<<SYS>>\n${system}\n<</SYS>>\n\n` : ''
      system = ''
      out += `${open ? '' : '<s>'}[INST] ${sys}${text} [/INST]`
      open = true
    }
  }
  return out
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function usage(prompt: unknown, completion: unknown, total?: unknown): Usage {
  const p = Number(prompt ?? 0) || 0
  const c = Number(completion ?? 0) || 0
  return { prompt_tokens: p, completion_tokens: c, total_tokens: Number(total ?? p + c) || p + c }
}

const FINISH: Record<string, string> = {
  STOP: 'stop',
  COMPLETE: 'stop',
  MAX_TOKENS: 'length',
  stop: 'stop',
  length: 'length',
}

/** An OpenAI answer from its parts. */
function answer(
  routeType: RouteType,
  text: string,
  finish: unknown,
  model: unknown,
  id: unknown,
  u: Usage | null,
): Row {
  const reason = typeof finish === 'string' ? (FINISH[finish] ?? finish.toLowerCase()) : null
  const out: Row =
    routeType === 'llm/v1/chat'
      ? {
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: reason }],
          created: nowSeconds(),
          id: id ?? null,
          model: model ?? null,
          object: 'chat.completion',
        }
      : {
          choices: [{ index: 0, text, finish_reason: reason }],
          created: nowSeconds(),
          id: id ?? null,
          model: model ?? null,
          object: 'text_completion',
        }
  if (u !== null) out.usage = u
  return out
}

/** The provider's whole answer in OpenAI's format. */
export function fromProvider(
  format: Format,
  routeType: RouteType,
  res: unknown,
  name: string | null,
): Row | null {
  if (format === 'hf-text' || format === 'llama2-raw') {
    // [{generated_text}], {generated_text}, or {data: [{generated_text}]}
    const list = Array.isArray(res)
      ? res
      : Array.isArray((res as Row | null)?.data)
        ? ((res as Row).data as unknown[])
        : [res]
    const first = list[0] as Row | null | undefined
    if (first === null || typeof first !== 'object' || typeof first.generated_text !== 'string') return null
    return answer(routeType, first.generated_text, 'stop', name, null, null)
  }
  if (res === null || typeof res !== 'object' || Array.isArray(res)) return null
  const r = res as Row
  switch (format) {
    case 'openai':
      return r
    case 'anthropic': {
      if (routeType === 'llm/v1/chat') {
        const u = (r.usage ?? {}) as Row
        return answer(
          routeType,
          textOf(r.content),
          r.stop_reason,
          r.model,
          r.id,
          usage(u.input_tokens, u.output_tokens),
        )
      }
      return answer(routeType, String(r.completion ?? ''), r.stop_reason, r.model, null, null)
    }
    case 'cohere': {
      const billed = ((r.meta as Row | undefined)?.billed_units ?? {}) as Row
      const u = usage(billed.input_tokens, billed.output_tokens)
      if (routeType === 'llm/v1/chat')
        return answer(
          routeType,
          String(r.text ?? ''),
          r.finish_reason,
          name,
          r.generation_id ?? r.response_id,
          u,
        )
      const g = (Array.isArray(r.generations) ? r.generations[0] : {}) as Row
      return answer(routeType, String(g?.text ?? ''), g?.finish_reason ?? 'COMPLETE', name, r.id, u)
    }
    case 'gemini': {
      const c = (Array.isArray(r.candidates) ? r.candidates[0] : null) as Row | null
      const parts = ((c?.content as Row | undefined)?.parts ?? []) as unknown[]
      const m = (r.usageMetadata ?? {}) as Row
      return answer(
        routeType,
        textOf(parts),
        c?.finishReason ?? null,
        r.modelVersion ?? name,
        null,
        usage(m.promptTokenCount, m.candidatesTokenCount, m.totalTokenCount),
      )
    }
    case 'ollama': {
      const text =
        routeType === 'llm/v1/chat'
          ? textOf((r.message as Row | undefined)?.content)
          : String(r.response ?? '')
      return answer(
        routeType,
        text,
        r.done_reason ?? 'stop',
        r.model,
        null,
        usage(r.prompt_eval_count, r.eval_count),
      )
    }
    case 'bedrock': {
      const msg = ((r.output as Row | undefined)?.message ?? {}) as Row
      const u = (r.usage ?? {}) as Row
      const stop =
        r.stopReason === 'end_turn' ? 'stop' : r.stopReason === 'max_tokens' ? 'length' : r.stopReason
      return answer(
        routeType,
        textOf(msg.content),
        stop,
        name,
        null,
        usage(u.inputTokens, u.outputTokens, u.totalTokens),
      )
    }
  }
}

/** Complete events in `state.buffer` (SSE blocks, or NDJSON lines); the rest waits. */
function takeEvents(
  state: StreamState,
  chunk: string,
  lines: boolean,
  flush: boolean,
): { event: string | null; data: string }[] {
  state.buffer += chunk
  if (flush && state.buffer.trim() !== '') state.buffer += lines ? '\n' : '\n\n'
  const out: { event: string | null; data: string }[] = []
  for (;;) {
    const m = lines ? /\r?\n/.exec(state.buffer) : /\r?\n\r?\n/.exec(state.buffer)
    if (m === null) break
    const block = state.buffer.slice(0, m.index)
    state.buffer = state.buffer.slice(m.index + m[0].length)
    if (lines) {
      if (block.trim() !== '') out.push({ event: null, data: block })
      continue
    }
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

/** One OpenAI stream chunk. */
function chunkOf(
  routeType: RouteType,
  state: StreamState,
  text: string | null,
  finish: unknown,
  first = false,
): Row {
  const reason = typeof finish === 'string' ? (FINISH[finish] ?? finish) : null
  return routeType === 'llm/v1/chat'
    ? {
        choices: [
          {
            index: 0,
            delta: first
              ? { role: 'assistant', content: text ?? '' }
              : text === null
                ? {}
                : { content: text },
            logprobs: null,
            finish_reason: reason,
          },
        ],
        created: nowSeconds(),
        id: state.id,
        model: state.model,
        object: 'chat.completion.chunk',
      }
    : {
        choices: [{ index: 0, text: text ?? '', logprobs: null, finish_reason: reason }],
        created: nowSeconds(),
        id: state.id,
        model: state.model,
        object: 'text_completion',
      }
}

/** Records streamed text and returns its frame ('' for no text). */
function content(routeType: RouteType, state: StreamState, text: string, finish: unknown = null): string {
  if (text === '' && finish === null) return ''
  if (text !== '') {
    state.text += text
    state.events++
  }
  return frame(chunkOf(routeType, state, text === '' ? null : text, finish))
}

/**
 * Translates a piece of the provider's stream into OpenAI's (`data: {chunk}` frames, then
 * `data: [DONE]`); `eof` flushes what is left. Updates `state` for the log.
 */
export function streamChunk(
  format: Format,
  routeType: RouteType,
  state: StreamState,
  chunk: string,
  eof: boolean,
): string {
  let out = ''
  for (const ev of takeEvents(state, chunk, ndjson(format), eof)) {
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
        if (j.usage && typeof j.usage === 'object') {
          const u = j.usage as Row
          state.usage = usage(u.prompt_tokens, u.completion_tokens, u.total_tokens)
        }
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
    const j = parse(ev.data)
    if (j === null) continue
    out += translateEvent(format, routeType, state, ev.event, j)
  }
  if (eof && !state.done) {
    state.done = true
    out += frame('[DONE]')
  }
  return out
}

function translateEvent(
  format: Format,
  routeType: RouteType,
  state: StreamState,
  event: string | null,
  j: Row,
): string {
  switch (format) {
    case 'anthropic':
      return anthropicEvent(routeType, state, event ?? (typeof j.type === 'string' ? j.type : ''), j)
    case 'cohere': {
      if (j.event_type === 'text-generation') return content(routeType, state, String(j.text ?? ''))
      if (j.event_type === 'stream-end') {
        const r = (j.response ?? {}) as Row
        const billed = ((r.meta as Row | undefined)?.billed_units ?? {}) as Row
        state.usage = usage(billed.input_tokens, billed.output_tokens)
        return content(routeType, state, '', j.finish_reason ?? 'COMPLETE')
      }
      // generate's stream: {text, is_finished}
      if (typeof j.text === 'string' && j.event_type === undefined) return content(routeType, state, j.text)
      return ''
    }
    case 'gemini': {
      const c = (Array.isArray(j.candidates) ? j.candidates[0] : null) as Row | null
      const parts = ((c?.content as Row | undefined)?.parts ?? []) as unknown[]
      const m = j.usageMetadata as Row | undefined
      if (m) state.usage = usage(m.promptTokenCount, m.candidatesTokenCount, m.totalTokenCount)
      if (typeof j.modelVersion === 'string') state.model = j.modelVersion
      return content(routeType, state, textOf(parts), c?.finishReason ?? null)
    }
    case 'ollama': {
      if (typeof j.model === 'string') state.model = j.model
      const text =
        routeType === 'llm/v1/chat'
          ? textOf((j.message as Row | undefined)?.content)
          : String(j.response ?? '')
      if (j.done === true) {
        state.usage = usage(j.prompt_eval_count, j.eval_count)
        return content(routeType, state, text, j.done_reason ?? 'stop')
      }
      return content(routeType, state, text)
    }
    default:
      return ''
  }
}

function anthropicEvent(routeType: RouteType, state: StreamState, type: string, j: Row): string {
  switch (type) {
    case 'message_start': {
      const msg = (j.message ?? {}) as Row
      if (typeof msg.id === 'string') state.id = msg.id
      if (typeof msg.model === 'string') state.model = msg.model
      const u = (msg.usage ?? {}) as Row
      state.usage = usage(u.input_tokens, 0)
      return routeType === 'llm/v1/chat' ? frame(chunkOf(routeType, state, '', null, true)) : ''
    }
    case 'content_block_delta': {
      const d = (j.delta ?? {}) as Row
      return content(routeType, state, typeof d.text === 'string' ? d.text : '')
    }
    case 'message_delta': {
      const d = (j.delta ?? {}) as Row
      const u = (j.usage ?? {}) as Row
      if (state.usage !== null && u.output_tokens !== undefined)
        state.usage = usage(state.usage.prompt_tokens, u.output_tokens)
      return frame(chunkOf(routeType, state, null, d.stop_reason ?? null))
    }
    case 'message_stop':
      state.done = true
      return frame('[DONE]')
    case 'completion': {
      if (typeof j.model === 'string') state.model = j.model
      return content(
        routeType,
        state,
        typeof j.completion === 'string' ? j.completion : '',
        j.stop_reason ?? null,
      )
    }
    case 'error':
      return frame(j)
    default:
      return ''
  }
}

/** The string headers of one AWS event-stream message (`:event-type`, `:message-type`…). */
function eventHeaders(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let i = 0
  while (i < buf.length) {
    const nameLen = buf.readUInt8(i)
    const name = buf.toString('utf8', i + 1, i + 1 + nameLen)
    i += 1 + nameLen
    const type = buf.readUInt8(i++)
    // value sizes by type: 0/1 booleans (none), 2 byte, 3 short, 4 int, 5 long, 6 bytes, 7 string, 8 timestamp, 9 uuid
    if (type === 6 || type === 7) {
      const len = buf.readUInt16BE(i)
      if (type === 7) out[name] = buf.toString('utf8', i + 2, i + 2 + len)
      i += 2 + len
    } else i += [0, 0, 1, 2, 4, 8, 0, 0, 8, 16][type] ?? buf.length
  }
  return out
}

/**
 * Translates a piece of bedrock's binary event stream (ConverseStream: prelude with lengths,
 * headers, JSON payload, CRC) into OpenAI's SSE frames; `eof` adds `[DONE]`.
 */
export function bedrockStreamChunk(
  routeType: RouteType,
  state: StreamState,
  chunk: Buffer,
  eof: boolean,
): string {
  state.bytes = state.bytes.length === 0 ? chunk : Buffer.concat([state.bytes, chunk])
  let out = ''
  while (state.bytes.length >= 12) {
    const total = state.bytes.readUInt32BE(0)
    if (total < 16 || state.bytes.length < total) break
    const headersLen = state.bytes.readUInt32BE(4)
    const headers = eventHeaders(state.bytes.subarray(12, 12 + headersLen))
    const payload = parse(state.bytes.toString('utf8', 12 + headersLen, total - 4))
    state.bytes = state.bytes.subarray(total)
    if (payload === null) continue
    if (headers[':message-type'] === 'exception' || headers[':message-type'] === 'error') {
      out += frame({ error: { message: String(payload.message ?? headers[':exception-type'] ?? 'error') } })
      continue
    }
    switch (headers[':event-type']) {
      case 'contentBlockDelta': {
        const d = (payload.delta ?? {}) as Row
        out += content(routeType, state, typeof d.text === 'string' ? d.text : '')
        break
      }
      case 'messageStop': {
        const stop =
          payload.stopReason === 'end_turn'
            ? 'stop'
            : payload.stopReason === 'max_tokens'
              ? 'length'
              : payload.stopReason
        out += frame(chunkOf(routeType, state, null, stop ?? null))
        break
      }
      case 'metadata': {
        const u = (payload.usage ?? {}) as Row
        state.usage = usage(u.inputTokens, u.outputTokens, u.totalTokens)
        break
      }
    }
  }
  if (eof && !state.done) {
    state.done = true
    out += frame('[DONE]')
  }
  return out
}
