// ai-proxy (Kong 3.9, priority 770): turns a route into an LLM gateway. access reads the client's
// OpenAI-format request, checks it against route_type, and rewrites it for the provider (target,
// scheme, path, auth, body); header_filter and body_filter translate the provider's answer back
// to OpenAI's format (server-sent events chunk by chunk); log adds `ai.proxy` (meta, usage,
// payloads) to the log entry.
import { StringDecoder } from 'node:string_decoder'
import { isReference, resolveReference } from '../../conf/index.js'
import { loadedVaults } from '../../conf/vault.js'
import type { Kong, Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { type ConfigOf, definePlugin } from '../definition.js'
import { signV4 } from './aws.js'
import {
  bedrockStreamChunk,
  canStream,
  endpointOf,
  type Format,
  formatOf,
  fromProvider,
  type ModelConf,
  ndjson,
  newStreamState,
  type RouteType,
  type StreamState,
  streamChunk,
  toProvider,
  type Usage,
} from './providers.js'
import schema from './schema.js'

type Config = ConfigOf<typeof schema>

export interface Conf {
  config: Config
  routeType: RouteType
  model: ModelConf
  format: Format | null
}

/** What the phases of one request share (kong.ctx.plugin.ai). */
interface RequestCtx {
  requestModel: string | null
  stream: boolean
  start: number
  requestBody: string | null
  /** The response is the provider's answer to translate (not an exit, not an error status). */
  translate: boolean
  sse: boolean
  state: StreamState | null
  decoder: StringDecoder | null
  latency: number | null
  responseModel: string | null
  usage: Usage | null
  responseBody: string | null
}

const BAD_BODY = 'content-type header does not match request body, or bad JSON formatting'

function badRequest(kong: Kong, message: string): void {
  kong.response.exit(400, { error: { message } })
}

/** The client request's LLM format (Kong's identification), or an error message. */
export function identify(req: Row): { format: RouteType } | { error: string } {
  const formats: RouteType[] = []
  if (Array.isArray(req.messages) && req.messages.length > 0) formats.push('llm/v1/chat')
  if (typeof req.prompt === 'string') formats.push('llm/v1/completions')
  if (formats.length > 1) return { error: 'request matches multiple LLM request formats' }
  if (formats.length === 0) return { error: 'request format not recognised' }
  return { format: formats[0] }
}

/** A configured secret, its `{vault://...}` reference resolved like Kong does (env vault). */
function secret(value: string | null, kong: Kong): string | null {
  if (value === null || !isReference(value)) return value
  const c = kong.configuration
  const vaults = Array.isArray(c.vaults) ? (c.vaults as string[]) : ['bundled']
  const prefix =
    typeof c.vault_env_prefix === 'string' && c.vault_env_prefix !== '' ? c.vault_env_prefix : undefined
  const r = resolveReference(value, { env: process.env, vaults: loadedVaults(vaults), envPrefix: prefix })
  if (r.ok) return r.value
  kong.log.err(`failed to dereference '${value}': ${r.error}`)
  return null
}

function prepare(config: Config): Conf {
  const model = config.model as unknown as ModelConf
  const routeType = config.route_type as RouteType
  return { config, routeType, model, format: formatOf(model, routeType) }
}

async function access(conf: Conf, kong: Kong): Promise<void> {
  const { config, routeType, model } = conf
  if (routeType !== 'preserve' && conf.format === null) {
    unsupported(kong, model)
    return
  }
  let raw: Buffer
  try {
    raw = await kong.request.getRawBody(config.max_request_body_size ?? 8192)
  } catch {
    badRequest(kong, BAD_BODY)
    return
  }
  const ai: RequestCtx = {
    requestModel: model.name,
    stream: false,
    start: 0,
    requestBody: null,
    translate: false,
    sse: false,
    state: null,
    decoder: null,
    latency: null,
    responseModel: null,
    usage: null,
    responseBody: null,
  }
  kong.ctx.plugin.ai = ai

  let body: Row | null = null
  if (routeType !== 'preserve' || raw.length > 0) {
    try {
      const v: unknown = JSON.parse(raw.toString('utf8'))
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) body = v as Row
    } catch {
      body = null
    }
    if (body === null && routeType !== 'preserve') {
      badRequest(kong, BAD_BODY)
      return
    }
  }

  if (routeType !== 'preserve' && body !== null) {
    const id = identify(body)
    if ('error' in id) {
      badRequest(kong, id.error)
      return
    }
    if (id.format !== routeType) {
      badRequest(kong, `[${id.format}] message format is not compatible with [${routeType}] route type`)
      return
    }
    if (body.stream === true && config.response_streaming === 'deny') {
      badRequest(kong, 'response streaming is not enabled for this LLM')
      return
    }
    if (config.response_streaming === 'always') body.stream = true
    ai.stream = body.stream === true
    if (ai.stream && !canStream(conf.format!)) {
      badRequest(kong, `response streaming is not supported by this gateway for provider ${model.provider}`)
      return
    }

    const asked = typeof body.model === 'string' ? body.model : null
    if (model.name !== null && asked !== null && asked !== model.name) {
      badRequest(kong, `cannot use own model - must be: ${model.name}`)
      return
    }
    const name = model.name ?? asked
    if (name === null) {
      badRequest(kong, 'model parameter not found in request, nor in gateway configuration')
      return
    }
    ai.requestModel = name
    body = toProvider(conf.format!, routeType, body, model, name)
  } else if (body !== null && typeof body.model === 'string') {
    ai.requestModel = model.name ?? body.model
  }

  const ep = endpointOf(model, routeType, ai.requestModel, ai.stream)
  if (ep === null) {
    unsupported(kong, model)
    return
  }
  const auth = config.auth
  const svc = kong.service.request
  const query: Record<string, string> = { ...ep.query }
  if (auth?.param_name && auth.param_value && auth.param_location) {
    const value = secret(auth.param_value, kong)
    if (value !== null) {
      if (auth.param_location === 'query') {
        const current = kong.request.getQueryArg(auth.param_name)
        if (!(auth.allow_override && typeof current === 'string')) query[auth.param_name] = value
      } else if (body !== null && !(auth.allow_override && body[auth.param_name] !== undefined)) {
        body[auth.param_name] = value
      }
    }
  }
  if (auth?.header_name && auth.header_value) {
    const value = secret(auth.header_value, kong)
    if (value !== null && !(auth.allow_override && kong.request.getHeader(auth.header_name) !== null))
      svc.setHeader(auth.header_name, value)
  }
  if (model.provider === 'anthropic' && model.options?.anthropic_version)
    svc.setHeader('anthropic-version', model.options.anthropic_version)

  kong.service.setTarget(ep.host, ep.port)
  svc.setScheme(ep.scheme)
  svc.setHeader('Host', ep.port === (ep.scheme === 'https' ? 443 : 80) ? ep.host : `${ep.host}:${ep.port}`)
  if (ep.path !== '') svc.setPath(ep.path)
  // bedrock signs the exact query: the client's is not forwarded there
  if (model.provider === 'bedrock') svc.setQuery(query)
  else if (Object.keys(query).length > 0) svc.setQuery({ ...kong.request.getQuery(), ...query })
  // The answer is read (and translated) as text.
  svc.clearHeader('Accept-Encoding')
  const sent = body !== null ? JSON.stringify(body) : raw.toString('utf8')
  if (body !== null) {
    svc.setHeader('Content-Type', 'application/json')
    svc.setRawBody(sent)
  }
  if (config.logging.log_payloads) ai.requestBody = sent
  if (model.provider === 'bedrock') signBedrock(conf, kong, ep, query, sent)
  ai.start = Date.now()
}

function unsupported(kong: Kong, model: ModelConf): void {
  kong.response.exit(500, {
    error: {
      message: `provider '${model.provider}' with this configuration is not supported by this gateway`,
    },
  })
}

/** Signs a bedrock request (SigV4) with the configured keys, else AWS's environment variables. */
function signBedrock(
  conf: Conf,
  kong: Kong,
  ep: { host: string; port: number; scheme: string; path: string },
  query: Record<string, string>,
  body: string,
): void {
  const auth = conf.config.auth
  const accessKeyId = secret(auth?.aws_access_key_id ?? null, kong) ?? process.env.AWS_ACCESS_KEY_ID
  const secretAccessKey =
    secret(auth?.aws_secret_access_key ?? null, kong) ?? process.env.AWS_SECRET_ACCESS_KEY
  if (!accessKeyId || !secretAccessKey) {
    kong.log.err('ai-proxy: no AWS credentials to sign the bedrock request with')
    return
  }
  const region =
    conf.model.options?.bedrock?.aws_region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    'us-east-1'
  const host = ep.port === (ep.scheme === 'https' ? 443 : 80) ? ep.host : `${ep.host}:${ep.port}`
  const headers = signV4(
    {
      method: 'POST',
      host,
      path: ep.path,
      query,
      headers: { 'content-type': 'application/json' },
      body,
      region,
      service: 'bedrock',
    },
    { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN },
  )
  for (const [k, v] of Object.entries(headers)) kong.service.request.setHeader(k, v)
}

function headerFilter(conf: Conf, kong: Kong): void {
  const ai = kong.ctx.plugin.ai as RequestCtx | undefined
  if (ai === undefined || kong.response.getSource() !== 'service') return
  if (conf.config.model_name_header && ai.requestModel !== null)
    kong.response.setHeader('X-Kong-LLM-Model', `${conf.model.provider}/${ai.requestModel}`)
  if (conf.routeType === 'preserve') return
  const status = kong.response.getStatus()
  if (status < 200 || status > 299) return
  ai.translate = true
  const type = kong.response.getHeader('Content-Type') ?? ''
  ai.sse =
    /text\/event-stream/i.test(type) || (ai.stream && (ndjson(conf.format!) || conf.format === 'bedrock'))
  if (ai.sse) {
    ai.state = newStreamState(conf.format === 'openai' ? null : ai.requestModel)
    ai.decoder = new StringDecoder('utf8')
    kong.response.clearHeader('Content-Length')
    kong.response.setHeader('Content-Type', 'text/event-stream')
  } else if (conf.format !== 'openai') {
    kong.response.clearHeader('Content-Length')
    kong.response.setHeader('Content-Type', 'application/json')
  }
}

function bodyFilter(conf: Conf, kong: Kong): void {
  const ai = kong.ctx.plugin.ai as RequestCtx | undefined
  if (ai === undefined) return
  const logging = conf.config.logging
  if (!ai.translate) {
    if (conf.routeType === 'preserve' && logging.log_payloads) {
      const whole = kong.response.getRawBody()
      if (whole !== null) ai.responseBody = whole.toString('utf8')
    }
    return
  }
  const format = conf.format!
  if (ai.sse) {
    const { chunk, eof } = kong.response.getChunk()
    let out: string
    if (format === 'bedrock')
      out = bedrockStreamChunk(conf.routeType, ai.state!, chunk ?? Buffer.alloc(0), eof)
    else {
      const text = chunk === null ? '' : ai.decoder!.write(chunk)
      out = streamChunk(format, conf.routeType, ai.state!, eof ? text + ai.decoder!.end() : text, eof)
    }
    kong.response.setRawBody(out)
    if (eof) {
      const st = ai.state!
      ai.latency = Date.now() - ai.start
      ai.responseModel = st.model
      ai.usage = st.usage ?? {
        prompt_tokens: 0,
        completion_tokens: st.events,
        total_tokens: st.events,
      }
      if (logging.log_payloads) ai.responseBody = st.text
    }
    return
  }
  const whole = kong.response.getRawBody()
  if (whole === null) return
  ai.latency = Date.now() - ai.start
  let parsed: unknown = null
  try {
    parsed = JSON.parse(whole.toString('utf8'))
  } catch {
    parsed = null
  }
  const out = fromProvider(format, conf.routeType, parsed, ai.requestModel)
  if (out === null) {
    kong.log.warn('ai-proxy: the provider answered with a body that could not be translated')
    return
  }
  let text: string
  if (format === 'openai') text = whole.toString('utf8')
  else {
    text = JSON.stringify(out)
    kong.response.setRawBody(text)
  }
  ai.responseModel = typeof out.model === 'string' ? out.model : null
  const u = out.usage as Row | undefined
  if (u && typeof u === 'object') {
    const prompt = Number(u.prompt_tokens ?? 0)
    const completion = Number(u.completion_tokens ?? 0)
    ai.usage = {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: Number(u.total_tokens ?? prompt + completion),
    }
  }
  if (logging.log_payloads) ai.responseBody = text
}

function log(conf: Conf, kong: Kong): void {
  const ai = kong.ctx.plugin.ai as RequestCtx | undefined
  if (ai === undefined) return
  const logging = conf.config.logging
  if (logging.log_statistics) {
    const latency = ai.latency ?? (ai.start > 0 ? Date.now() - ai.start : 0)
    kong.log.setSerializeValue('ai.proxy.meta', {
      plugin_id: kong.plugin.getId(),
      provider_name: conf.model.provider,
      request_model: ai.requestModel,
      response_model: ai.responseModel ?? ai.requestModel,
      llm_latency: latency,
    })
    const u = ai.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
    const o = conf.model.options
    const cost =
      o?.input_cost || o?.output_cost
        ? (u.prompt_tokens * (o.input_cost ?? 0) + u.completion_tokens * (o.output_cost ?? 0)) / 1_000_000
        : 0
    kong.log.setSerializeValue('ai.proxy.usage', {
      prompt_tokens: u.prompt_tokens,
      completion_tokens: u.completion_tokens,
      total_tokens: u.total_tokens,
      time_per_token: u.completion_tokens > 0 ? Math.floor(latency / u.completion_tokens) : 0,
      cost,
    })
  }
  if (logging.log_payloads) {
    kong.log.setSerializeValue('ai.proxy.payload', { request: ai.requestBody, response: ai.responseBody })
  }
}

export default definePlugin(schema, {
  priority: 770,
  version: KONG_COMPAT_VERSION,
  prepare,
  access,
  headerFilter,
  bodyFilter,
  log,
})
