// CA certificates: trust anchors for verifying upstream certificates (services.ca_certificates).
import { defineEntity, type EntityOf } from '../entity.js'
import { extend, f } from '../field.js'
import { typedefs } from '../typedefs.js'
import { validateCaCertificate } from '../validators/certificates.js'

export const caCertificates = defineEntity({
  name: 'ca_certificates',
  primary_key: ['id'],
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
    cert: extend(typedefs.certificate, {
      required: true,
      description: 'PEM-encoded public certificate of the CA.',
    }),
    cert_digest: f.string({
      unique: true,
      description: 'SHA256 hex digest of the public certificate (computed).',
    }),
    tags: typedefs.tags,
  },
  entity_checks: [
    {
      custom_entity_check: {
        field_sources: ['cert'],
        fn: (e) => validateCaCertificate(String(e.cert)) ?? true,
      },
    },
  ],
})

export type CaCertificate = EntityOf<typeof caCertificates>
