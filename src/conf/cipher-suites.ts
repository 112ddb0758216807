// Kong's predefined TLS cipher suites (Mozilla Server Side TLS 5.7), selected by ssl_cipher_suite.
// Any value other than `custom` replaces ssl_ciphers and the protocol/preference/dhparam directives.

export interface CipherSuite {
  protocols: string
  /** OpenSSL cipher list; absent for `modern` (every TLSv1.3 cipher is acceptable). */
  ciphers?: string
  /** Predefined DH group; absent means no DH parameters. */
  dhparams?: string
  prefer_server_ciphers: 'on' | 'off'
}

const INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
]

const OLD_CIPHERS = [
  ...INTERMEDIATE_CIPHERS,
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-AES256-SHA256',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA256',
  'AES256-SHA256',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
]

export const CIPHER_SUITES: Readonly<Record<string, CipherSuite>> = {
  modern: { protocols: 'TLSv1.3', prefer_server_ciphers: 'off' },
  intermediate: {
    protocols: 'TLSv1.2 TLSv1.3',
    ciphers: INTERMEDIATE_CIPHERS.join(':'),
    dhparams: 'ffdhe2048',
    prefer_server_ciphers: 'off',
  },
  old: {
    protocols: 'TLSv1 TLSv1.1 TLSv1.2 TLSv1.3',
    ciphers: OLD_CIPHERS.join(':'),
    prefer_server_ciphers: 'on',
  },
  fips: {
    protocols: 'TLSv1.2',
    ciphers: 'TLSv1.2+FIPS:kRSA+FIPS:!eNULL:!aNULL',
    prefer_server_ciphers: 'on',
  },
}

/** DH groups usable by name in ssl_dhparam. */
export const PREDEFINED_DH_GROUPS: ReadonlySet<string> = new Set([
  'ffdhe2048',
  'ffdhe3072',
  'ffdhe4096',
  'ffdhe6144',
  'ffdhe8192',
])
