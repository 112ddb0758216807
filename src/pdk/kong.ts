// The `kong` object of one request: the PDK namespaces over its RequestState. Namespaces are
// made on first use, so a plugin that only reads a header does not pay for the others.
import { hostname } from 'node:os'
import { KONG_COMPAT_VERSION } from '../version.js'
import { PdkClient } from './client.js'
import { PdkLog } from './log.js'
import { checkPhase, P } from './phase.js'
import { PdkRequest } from './request.js'
import { PdkResponse } from './response.js'
import { PdkService } from './service.js'
import type { RequestState } from './state.js'
import type {
  Kong,
  KongCache,
  KongCounters,
  KongCtx,
  KongNginx,
  KongNode,
  KongPrimary,
  KongRouter,
  Row,
} from './types.js'
import { nginxVar } from './vars.js'

const VERSION_NUM = (() => {
  const [a, b, c] = KONG_COMPAT_VERSION.split('.').map(Number)
  return a * 1_000_000 + b * 1000 + c
})()

class PdkCtx implements KongCtx {
  constructor(private readonly s: RequestState) {}
  get shared(): Record<string, unknown> {
    return this.s.shared
  }
  get plugin(): Record<string, unknown> {
    return this.s.pluginStore()
  }
}

class PdkRouter implements KongRouter {
  constructor(private readonly s: RequestState) {}
  getRoute(): Row | null {
    checkPhase(this.s.phase, P.AFTER_ACCESS, 'kong.router.get_route')
    return this.s.route?.row ?? null
  }
  getService(): Row | null {
    checkPhase(this.s.phase, P.AFTER_ACCESS, 'kong.router.get_service')
    return this.s.service?.row ?? null
  }
}

class PdkNode implements KongNode {
  constructor(private readonly s: RequestState) {}
  getId(): string {
    return this.s.env.nodeId
  }
  getHostname(): string {
    return this.s.env.hostname || hostname()
  }
  getMemoryStats(): Row {
    const m = process.memoryUsage()
    return {
      workers_lua_vms: [{ pid: process.pid, http_allocated_gc: m.heapUsed }],
      lua_shared_dicts: {},
    }
  }
}

export class PdkKong implements Kong {
  private _request: PdkRequest | null = null
  private _response: PdkResponse | null = null
  private _service: PdkService | null = null
  private _client: PdkClient | null = null
  private _ctx: PdkCtx | null = null
  private _log: PdkLog | null = null
  readonly version = KONG_COMPAT_VERSION
  readonly versionNum = VERSION_NUM

  constructor(private readonly s: RequestState) {}

  get request(): PdkRequest {
    this._request ??= new PdkRequest(this.s)
    return this._request
  }
  get response(): PdkResponse {
    this._response ??= new PdkResponse(this.s)
    return this._response
  }
  get service(): PdkService {
    this._service ??= new PdkService(this.s)
    return this._service
  }
  get client(): PdkClient {
    this._client ??= new PdkClient(this.s)
    return this._client
  }
  get ctx(): PdkCtx {
    this._ctx ??= new PdkCtx(this.s)
    return this._ctx
  }
  get log(): PdkLog {
    this._log ??= new PdkLog(this.s)
    return this._log
  }
  get cache(): KongCache {
    return this.s.env.cache
  }
  get counters(): KongCounters {
    return this.s.env.counters
  }
  get primary(): KongPrimary {
    const plugin = this.s.current?.name ?? ''
    const calls = this.s.env.primary
    return { call: (method, args, timeoutMs) => calls.call(plugin, method, args, timeoutMs) }
  }
  get router(): KongRouter {
    return new PdkRouter(this.s)
  }
  get node(): KongNode {
    return new PdkNode(this.s)
  }
  get ip(): { isTrusted(ip: string): boolean } {
    const trusted = this.s.settings.trusted
    return { isTrusted: (ip: string) => trusted.has(ip) }
  }
  get plugin(): { getId(): string } {
    const id = this.s.current?.id ?? ''
    return { getId: () => id }
  }
  get nginx(): KongNginx {
    const s = this.s
    return { getSubsystem: () => 'http', getVar: (name: string) => nginxVar(s, name) }
  }
  get configuration(): Readonly<Row> {
    return this.s.env.configuration
  }
}

/** The request's `kong` object. */
export function kongFor(s: RequestState): PdkKong {
  if (s.kong === null) s.kong = new PdkKong(s)
  return s.kong as PdkKong
}
