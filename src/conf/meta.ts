// Facts about a loaded configuration that are not configuration values: where each value came from
// and which values were vault references. Kept beside the object (WeakMap) so that the configuration
// stays a plain record that serialises as is.
import type { Conf, ValueSource } from './types.js'

export interface ConfMeta {
  sources: Readonly<Record<string, ValueSource>>
  /** Property → original text holding vault references (before resolution). */
  refs: ReadonlyMap<string, string>
}

const META = new WeakMap<object, ConfMeta>()

export function attachMeta(conf: Conf, meta: ConfMeta) {
  META.set(conf, meta)
}

export function confMeta(conf: Conf): ConfMeta | undefined {
  return META.get(conf)
}

/** Where a property's value came from; undefined for a configuration not made by loadConf. */
export function valueSource(conf: Conf, name: string): ValueSource | undefined {
  return META.get(conf)?.sources[name]
}

/** True when the value was set by the file, the environment or an override (not a default). */
export function isExplicitlySet(conf: Conf, name: string): boolean {
  const source = valueSource(conf, name)
  return source !== undefined && source !== 'default'
}
