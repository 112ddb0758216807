// The plugin types loaded on this node (the `plugins` setting: `bundled`, `off`, or names).
import type { SubschemaDefinition } from '../db/schema/record.js'
import type { MigrationNamespace } from '../db/strategies/strategy.js'
import acl from './acl/handler.js'
import acme from './acme/handler.js'
import aiProxy from './ai-proxy/handler.js'
import basicAuth from './basic-auth/handler.js'
import botDetection from './bot-detection/handler.js'
import correlationId from './correlation-id/handler.js'
import cors from './cors/handler.js'
import type { PluginApi, PluginDefinition, PluginEntity } from './definition.js'
import fileLog from './file-log/handler.js'
import hmacAuth from './hmac-auth/handler.js'
import httpLog from './http-log/handler.js'
import ipRestriction from './ip-restriction/handler.js'
import jwt from './jwt/handler.js'
import keyAuth from './key-auth/handler.js'
import ldapAuth from './ldap-auth/handler.js'
import oauth2 from './oauth2/handler.js'
import postFunction from './post-function/handler.js'
import preFunction from './pre-function/handler.js'
import prometheus from './prometheus/handler.js'
import proxyCache from './proxy-cache/handler.js'
import rateLimiting from './rate-limiting/handler.js'
import requestSizeLimiting from './request-size-limiting/handler.js'
import requestTermination from './request-termination/handler.js'
import requestTransformer from './request-transformer/handler.js'
import responseTransformer from './response-transformer/handler.js'
import statsd from './statsd/handler.js'

/** Plugin types shipped with Silverback (the `bundled` value of the `plugins` setting). */
export const BUNDLED_PLUGINS: readonly PluginDefinition[] = [
  ldapAuth,
  keyAuth,
  cors,
  correlationId,
  requestSizeLimiting,
  requestTermination,
  rateLimiting,
  acl,
  botDetection,
  ipRestriction,
  basicAuth,
  hmacAuth,
  jwt,
  oauth2,
  preFunction,
  postFunction,
  requestTransformer,
  responseTransformer,
  prometheus,
  httpLog,
  statsd,
  fileLog,
  proxyCache,
  acme,
  aiProxy,
]

export class PluginRegistry {
  private readonly byName: ReadonlyMap<string, PluginDefinition>

  constructor(plugins: readonly PluginDefinition[]) {
    this.byName = new Map(plugins.map((p) => [p.name, p]))
  }

  /** Resolves the `plugins` setting; unknown names are errors. */
  static fromSetting(
    setting: readonly string[],
    available: readonly PluginDefinition[] = BUNDLED_PLUGINS,
  ): { registry: PluginRegistry; errors: string[] } {
    const errors: string[] = []
    const chosen = new Map<string, PluginDefinition>()
    const byName = new Map(available.map((p) => [p.name, p]))
    for (const item of setting) {
      if (item === 'off') continue
      if (item === 'bundled') {
        for (const p of available) chosen.set(p.name, p)
        continue
      }
      const p = byName.get(item)
      if (p) chosen.set(p.name, p)
      else errors.push(`${item} plugin is enabled but not installed`)
    }
    return { registry: new PluginRegistry([...chosen.values()]), errors }
  }

  names(): string[] {
    return [...this.byName.keys()]
  }

  get(name: string): PluginDefinition | undefined {
    return this.byName.get(name)
  }

  list(): PluginDefinition[] {
    return [...this.byName.values()]
  }

  /** Entities owned by the loaded plugins (credentials), parents before children. */
  entities(): PluginEntity[] {
    return [...this.byName.values()].flatMap((p) => p.entities ?? [])
  }

  /** The Admin API endpoints of the loaded plugins. */
  apis(): PluginApi[] {
    return [...this.byName.values()].flatMap((p) => (p.api ? [p.api] : []))
  }

  /** Migration namespaces of the loaded plugins that own tables, named after the plugin. */
  migrationNamespaces(): MigrationNamespace[] {
    return [...this.byName.values()].flatMap((p) =>
      p.migrations && p.migrations.length > 0 ? [{ name: p.name, migrations: p.migrations }] : [],
    )
  }

  subschemas(): Record<string, SubschemaDefinition> {
    const out: Record<string, SubschemaDefinition> = {}
    for (const p of this.byName.values()) out[p.name] = p.schema
    return out
  }
}
