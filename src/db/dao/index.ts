// Per-entity DAO behaviour, by entity name.
import { caCertificateHooks } from './ca-certificates.js'
import { certificateHooks } from './certificates.js'
import type { EntityHooks } from './hooks.js'
import { pluginHooks } from './plugins.js'
import { targetHooks } from './targets.js'

export const CORE_HOOKS: Readonly<Record<string, EntityHooks>> = {
  certificates: certificateHooks,
  ca_certificates: caCertificateHooks,
  targets: targetHooks,
  plugins: pluginHooks,
}
