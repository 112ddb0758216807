// The plugin types loaded on this node (the `plugins` setting: `bundled`, `off`, or names).
import type { SubschemaDefinition } from '../db/schema/record.js'
import { KONG_COMPAT_VERSION } from '../version.js'
import type { PluginDefinition } from './definition.js'
import keyAuthSchema from './key-auth/schema.js'

/**
 * Plugin types shipped with Silverback. Their request handlers are attached by the plugin
 * runner; until a type has one, the proxy refuses (500) routes that use it rather than serving
 * them unprotected.
 */
export const BUNDLED_PLUGINS: readonly PluginDefinition[] = [
  { name: 'key-auth', version: KONG_COMPAT_VERSION, priority: 1250, schema: keyAuthSchema },
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

  subschemas(): Record<string, SubschemaDefinition> {
    const out: Record<string, SubschemaDefinition> = {}
    for (const p of this.byName.values()) out[p.name] = p.schema
    return out
  }
}
