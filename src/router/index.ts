// Public API of the HTTP router (router.md). See docs/router.md for the user-facing rules.
export { hasInvalidUtf8, normalizeRequestPath } from './normalize.js'
export { computePriority, type PriorityInput, priorityToBigInt } from './priority.js'
export { compileRouter, compileRouterAsync, isHttpRoute } from './router.js'
export type {
  AsyncRouterBuildOptions,
  MatcherInfo,
  PathHandling,
  RequestAttributes,
  RequestHeaders,
  RouteMatch,
  Router,
  RouterBuildError,
  RouterBuildOptions,
  RouterNetEndpoint,
  RouterOptions,
  RouterRoute,
  UriCaptures,
} from './types.js'
export { escapeUpstreamPath, sanitizePostfix, upstreamPath } from './upstream-path.js'
