// The plugin types a worker can run (the node's `plugins` setting), as the snapshot builder
// needs them. A configured instance of a type the worker cannot run fails closed: its requests
// get a 500, never an unprotected pass-through.
import type { LoadedPlugin } from '../../pdk/instance.js'

export interface PluginCatalog {
  loaded: ReadonlyMap<string, LoadedPlugin>
  /** Stand-in for a configured type that is not loaded (or whose configuration fails to prepare). */
  unavailable: (name: string) => LoadedPlugin
  /** Called with the preparation errors of each snapshot build. */
  onErrors?: (errors: string[]) => void
}

const stubs = new Map<string, LoadedPlugin>()

export function unavailablePlugin(name: string): LoadedPlugin {
  let p = stubs.get(name)
  if (!p) {
    const fail = (): never => {
      throw new Error(`plugin '${name}' is configured but not available on this node`)
    }
    p = {
      name,
      priority: Number.MAX_SAFE_INTEGER,
      version: '0.0.0',
      noConsumer: true,
      handler: { priority: 0, version: '0.0.0', rewrite: fail, access: fail },
    }
    stubs.set(name, p)
  }
  return p
}
