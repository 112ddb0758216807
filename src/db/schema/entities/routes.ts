// Routes: the rules that match requests and send them to a service. The set of allowed fields
// depends on the route's protocols (Kong's route subschemas: http, stream, grpc).
import { defineEntity, type EntityOf } from '../entity.js'
import { type EntityCheck, extend, type Field, f } from '../field.js'
import type { SubschemaDefinition } from '../record.js'
import { endpointSet, typedefs } from '../typedefs.js'
import { validateHeaderName } from '../validators/headers.js'
import { validateRouteHost } from '../validators/hosts.js'
import { validateRoutePath, validateRoutePathForRouter } from '../validators/paths.js'

const methods = f.set(typedefs.httpMethod, {
  description: 'A list of HTTP methods that match this Route.',
})

const hosts = f.array(
  f.string({
    match_all: [{ pattern: /^[^*]*\*?[^*]*$/, err: 'invalid wildcard: must have at most one wildcard' }],
    match_any: {
      patterns: [/^\*\./, /\.\*$/, /^[^*]*$/],
      err: 'invalid wildcard: must be placed at leftmost or rightmost label',
    },
    custom_validator: validateRouteHost,
  }),
  {
    description: 'A list of domain names that match this Route. Note that the hosts value is case sensitive.',
  },
)

const paths = f.array(
  f.string({
    match_any: { patterns: [/^\//, /^~\//], err: 'should start with: / (fixed path) or ~/ (regex path)' },
    match_none: [{ pattern: /\/\//, err: 'must not have empty segments' }],
    custom_validator: validateRoutePath,
  }),
  { description: 'A list of paths that match this Route.' },
)

const headers = f.map(
  f.string({
    match_none: [
      {
        pattern: /^[Hh][Oo][Ss][Tt]$/,
        err: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
      },
    ],
    custom_validator: validateHeaderName,
  }),
  f.array(f.string()),
  { description: 'One or more lists of values indexed by header name that will cause this Route to match.' },
)

const sources = extend(endpointSet, {
  description: 'A list of IP sources of incoming connections that match this Route.',
})
const destinations = extend(endpointSet, {
  description: 'A list of IP destinations of incoming connections that match this Route.',
})

/** A field that must stay null for the protocol group (`err` is the message). */
const forbidden = (field: Field, err: string): Field => ({ ...field, eq: null, err })

const httpSubschema: SubschemaDefinition = {
  name: 'http',
  fields: {
    sources: forbidden(sources, "cannot set 'sources' when 'protocols' is 'http' or 'https'"),
    destinations: forbidden(destinations, "cannot set 'destinations' when 'protocols' is 'http' or 'https'"),
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'https' },
        then_at_least_one_of: ['methods', 'hosts', 'headers', 'paths', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'https'",
        else_match: { contains: 'http' },
        else_then_at_least_one_of: ['methods', 'hosts', 'headers', 'paths'],
        else_then_err: "must set one of %s when 'protocols' is 'http'",
      },
    },
  ],
}

const STREAM = "'tcp', 'tls', 'tls_passthrough' or 'udp'"
const streamSubschema: SubschemaDefinition = {
  name: 'tcp',
  fields: {
    methods: forbidden(methods, `cannot set 'methods' when 'protocols' is ${STREAM}`),
    hosts: forbidden(hosts, `cannot set 'hosts' when 'protocols' is ${STREAM}`),
    paths: forbidden(paths, `cannot set 'paths' when 'protocols' is ${STREAM}`),
    headers: forbidden(headers, `cannot set 'headers' when 'protocols' is ${STREAM}`),
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', one_of: ['tcp', 'tls', 'udp'] } },
        then_at_least_one_of: ['sources', 'destinations', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
      },
    },
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', one_of: ['tls_passthrough'] } },
        then_at_least_one_of: ['snis'],
        then_err: "must set snis when 'protocols' is 'tls_passthrough'",
      },
    },
  ],
}

const grpcSubschema: SubschemaDefinition = {
  name: 'grpc',
  fields: {
    strip_path: f.boolean({
      required: true,
      default: false,
      ne: true,
      err: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    }),
    methods: forbidden(methods, "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'"),
    sources: forbidden(sources, "cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'"),
    destinations: forbidden(destinations, "cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'"),
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'grpcs' },
        then_at_least_one_of: ['hosts', 'headers', 'paths', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'grpcs'",
        else_match: { contains: 'grpc' },
        else_then_at_least_one_of: ['hosts', 'headers', 'paths'],
        else_then_err: "must set one of %s when 'protocols' is 'grpc'",
      },
    },
  ],
}

/** Regexes the router cannot execute fail the whole route (traditional_compatible flavor). */
function routerCompatible(entity: Record<string, unknown>): true | string {
  const list = entity.paths
  if (!Array.isArray(list)) return true
  for (const p of list) {
    if (typeof p !== 'string') continue
    const err = validateRoutePathForRouter(p)
    if (err) return err
  }
  return true
}

const entityChecks: EntityCheck[] = [
  {
    conditional: {
      if_field: 'protocols',
      if_match: { elements: { type: 'string', not_one_of: ['grpcs', 'https', 'tls', 'tls_passthrough'] } },
      then_field: 'snis',
      then_match: { len_eq: 0 },
      then_err: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
    },
  },
  {
    custom_entity_check: {
      field_sources: [
        'id',
        'protocols',
        'snis',
        'sources',
        'destinations',
        'methods',
        'hosts',
        'paths',
        'headers',
      ],
      run_with_missing_fields: true,
      fn: routerCompatible,
    },
  },
]

export const routes = defineEntity({
  name: 'routes',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  subschema_key: 'protocols',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
    name: extend(typedefs.utf8Name, { description: 'The name of the Route.' }),
    protocols: f.set(typedefs.protocol, {
      len_min: 1,
      required: true,
      mutually_exclusive_subsets: [
        ['http', 'https'],
        ['tcp', 'tls', 'udp'],
        ['tls_passthrough'],
        ['grpc', 'grpcs'],
      ],
      default: ['http', 'https'],
      description: 'An array of the protocols this Route should allow.',
    }),
    https_redirect_status_code: f.integer({
      one_of: [426, 301, 302, 307, 308],
      default: 426,
      required: true,
      description:
        'The status code Kong responds with when all properties of a Route match except the protocol.',
    }),
    strip_path: f.boolean({
      required: true,
      default: true,
      description:
        'When matching a Route via one of the paths, strip the matching prefix from the upstream request URL.',
    }),
    preserve_host: f.boolean({
      required: true,
      default: false,
      description:
        'When matching a Route via one of the hosts domain names, use the request Host header upstream.',
    }),
    request_buffering: f.boolean({
      required: true,
      default: true,
      description: 'Whether to enable request body buffering.',
    }),
    response_buffering: f.boolean({
      required: true,
      default: true,
      description: 'Whether to enable response body buffering.',
    }),
    tags: typedefs.tags,
    service: f.foreign('services', {
      description: 'The Service this Route is associated to. This is where the Route proxies traffic to.',
    }),
    snis: f.set(typedefs.wildcardHost, { description: 'A list of SNIs that match this Route.' }),
    sources,
    destinations,
    methods,
    hosts,
    paths,
    headers,
    regex_priority: f.integer({
      default: 0,
      description:
        'A number used to choose which route resolves a given request when several regex routes match.',
    }),
    path_handling: f.string({
      default: 'v0',
      one_of: ['v0', 'v1'],
      description: 'Controls how the Service path, Route path and requested path are combined upstream.',
    }),
  },
  entity_checks: entityChecks,
  subschemas: {
    http: httpSubschema,
    https: httpSubschema,
    tcp: streamSubschema,
    tls: streamSubschema,
    udp: streamSubschema,
    tls_passthrough: streamSubschema,
    grpc: grpcSubschema,
    grpcs: grpcSubschema,
  },
})

export type Route = EntityOf<typeof routes>
