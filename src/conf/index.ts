// Public API of the configuration system (Kong's kong.conf). See docs/configuration.md.
export {
  DEFAULT_CONF_PATHS,
  isProperty,
  PROPERTIES,
  PROPERTY_NAMES,
  type PropertyName,
  type PropertySpec,
  type PropertyType,
} from './defaults.js'
export { formatKongEnv, KONG_ENV_FILE, kongEnvPath, readKongEnv, writeKongEnv } from './env-file.js'
export { enabledHeaders, enabledUpstreamHeaders, HEADER_NAMES } from './headers.js'
export { type ListenerSubsystem, listenerUsage, parseListeners } from './listeners.js'
export { type LoadConfOptions, type LoadConfResult, loadConf } from './load.js'
export { isExplicitlySet, valueSource } from './meta.js'
export { DYNAMIC_NAMESPACES, isDynamicName } from './namespaces.js'
export { type ConfEntry, parseConfText, splitList } from './parse.js'
export { isSecret, maskSecrets, SECRET_PLACEHOLDER } from './secrets.js'
export { confToEntries, valueToText } from './serialize.js'
export { parseSize, sizeInBytes } from './sizes.js'
export type { Conf, DerivedConf, Listener, PropertyValues, ValueSource } from './types.js'
export { parseBoolean, parseNumber } from './values.js'
export { isReference, resolveReference } from './vault.js'
