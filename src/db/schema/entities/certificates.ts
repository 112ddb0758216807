// Certificates (with their SNIs) and SNIs, used for TLS on the proxy and as client certificates
// towards upstreams.
import { defineEntity, type EntityOf } from '../entity.js'
import { extend, f } from '../field.js'
import { typedefs } from '../typedefs.js'
import { certificateEntityErrors } from '../validators/certificates.js'

/** One of the pair checks (cert/key, alternate pair, different key types) over `fields`. */
const pairCheck = (fields: readonly string[], message: string) =>
  ({
    custom_entity_check: {
      field_sources: fields,
      fn: (e: Record<string, unknown>) => {
        const errs = certificateEntityErrors({
          cert: fields.includes('cert') ? (e.cert as string | undefined) : undefined,
          key: fields.includes('key') ? (e.key as string | undefined) : undefined,
          cert_alt: fields.includes('cert_alt') ? (e.cert_alt as string | null | undefined) : undefined,
          key_alt: fields.includes('key_alt') ? (e.key_alt as string | null | undefined) : undefined,
        })
        return errs.some((m) => m.startsWith(message)) ? errs.find((m) => m.startsWith(message))! : true
      },
    },
  }) as const

export const certificates = defineEntity({
  name: 'certificates',
  primary_key: ['id'],
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
    cert: extend(typedefs.certificate, {
      required: true,
      referenceable: true,
      description: 'PEM-encoded public certificate chain of the SSL key pair.',
    }),
    key: extend(typedefs.key, {
      required: true,
      referenceable: true,
      encrypted: true,
      description: 'PEM-encoded private key of the SSL key pair.',
    }),
    cert_alt: extend(typedefs.certificate, {
      referenceable: true,
      description: 'PEM-encoded public certificate chain of the alternate SSL key pair.',
    }),
    key_alt: extend(typedefs.key, {
      referenceable: true,
      encrypted: true,
      description: 'PEM-encoded private key of the alternate SSL key pair.',
    }),
    tags: typedefs.tags,
    // Transient: not stored on the certificate; each name is an SNI entity (see db/dao/entity-hooks).
    snis: f.array(typedefs.wildcardHost, {
      transient: true,
      description: 'An array of zero or more hostnames to associate with this certificate as SNIs.',
    }),
  },
  entity_checks: [
    { mutually_required: ['cert_alt', 'key_alt'] },
    pairCheck(['cert', 'key'], 'certificate does not match key'),
    pairCheck(['cert_alt', 'key_alt'], 'alternative certificate does not match key'),
    pairCheck(['cert', 'cert_alt'], 'certificate and alternative certificate need'),
  ],
})

export const snis = defineEntity({
  name: 'snis',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    name: extend(typedefs.wildcardHost, { required: true, unique: true, description: 'The SNI name.' }),
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
    tags: typedefs.tags,
    certificate: f.foreign('certificates', {
      required: true,
      on_delete: 'cascade',
      description: 'The id (a UUID) of the certificate with which to associate the SNI hostname.',
    }),
  },
})

export type Certificate = EntityOf<typeof certificates>
export type Sni = EntityOf<typeof snis>
