// AWS Signature Version 4 for ai-proxy's bedrock provider: signs the upstream request (method,
// path, query, the headers given, the body) with static credentials.
import { createHash, createHmac } from 'node:crypto'

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface SignInput {
  method: string
  host: string
  /** The path as sent (already percent-encoded). */
  path: string
  query: Record<string, string>
  /** Headers to sign besides host and x-amz-date (names in any case). */
  headers: Record<string, string>
  body: string
  region: string
  service: string
  /** Defaults to now. */
  date?: Date
}

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex')
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest()

/** RFC 3986 percent-encoding (AWS's UriEncode). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The headers to add to the request: X-Amz-Date, Authorization (and the session token). */
export function signV4(input: SignInput, creds: AwsCredentials): Record<string, string> {
  const amzDate = (input.date ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const day = amzDate.slice(0, 8)
  const headers: Record<string, string> = { host: input.host, 'x-amz-date': amzDate }
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken
  const names = Object.keys(headers).sort()
  const canonicalHeaders = names.map((n) => `${n}:${headers[n].trim().replace(/\s+/g, ' ')}\n`).join('')
  const signedHeaders = names.join(';')
  // Every service but S3 encodes the (already encoded) path segments once more.
  const canonicalUri = input.path
    .split('/')
    .map((seg) => uriEncode(seg))
    .join('/')
  const canonicalQuery = Object.keys(input.query)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(input.query[k])}`)
    .join('&')
  const canonicalRequest = [
    input.method,
    canonicalUri || '/',
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    sha256(input.body),
  ].join('\n')
  const scope = `${day}/${input.region}/${input.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  const key = hmac(
    hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), input.region), input.service),
    'aws4_request',
  )
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex')
  const out: Record<string, string> = {
    'X-Amz-Date': amzDate,
    Authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  }
  if (creds.sessionToken) out['X-Amz-Security-Token'] = creds.sessionToken
  return out
}
