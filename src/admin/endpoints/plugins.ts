// Plugin bodies are converted with the schema of the plugin they configure: form-encoded
// `config.*` values need the plugin's field types, and a PATCH without `name` uses the stored
// plugin's name.
import type { Dao, EntityKey } from '../../db/dao/dao.js'
import type { Row } from '../../db/strategies/strategy.js'
import type { AdminRequest } from '../http.js'
import { bodyArgs, type EntityEndpointOptions } from './entities.js'

async function inferPlugin(req: AdminRequest, dao: Dao, key?: EntityKey): Promise<Row> {
  if (req.bodyKind !== 'form' && req.bodyKind !== 'multipart') return { ...req.body }
  if (req.method === 'PATCH' && req.body.name === undefined && key) {
    const stored = await dao.selectByKey(key).catch(() => null)
    if (stored) {
      const withName = bodyArgs({ ...req, body: { ...req.body, name: stored.name } }, dao.schema)
      delete withName.name
      return withName
    }
  }
  return bodyArgs(req, dao.schema)
}

export const pluginEndpointOptions: EntityEndpointOptions = { infer: inferPlugin }
