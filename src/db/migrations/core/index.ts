// The core migration namespace, in order.
import type { MigrationNamespace } from '../../strategies/strategy.js'
import { migration as m000 } from './000_base.js'
import { migration as m001 } from './001_cluster_events.js'

export const core: MigrationNamespace = { name: 'core', migrations: [m000, m001] }
