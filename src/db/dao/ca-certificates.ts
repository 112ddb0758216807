// CA certificates: the digest is computed on write (it makes the same CA unique), and a CA still
// listed in a service's `ca_certificates` cannot be deleted.
import { certDigest } from '../schema/validators/certificates.js'
import { errors } from './errors.js'
import type { EntityHooks } from './hooks.js'

export const caCertificateHooks: EntityHooks = {
  transformations(entity) {
    if (typeof entity.cert !== 'string') return entity
    return { ...entity, cert_digest: certDigest(entity.cert) ?? null }
  },
  async beforeDelete(entity, hctx) {
    const services = hctx.dao.db.dao('services')
    for await (const service of services.each(hctx.ctx)) {
      const cas = service.ca_certificates
      if (Array.isArray(cas) && cas.includes(entity.id)) {
        throw errors.referencedByOthers(
          `ca certificate ${entity.id} is still referenced by services (id = ${service.id})`,
        )
      }
    }
  },
}
