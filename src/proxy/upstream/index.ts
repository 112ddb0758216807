// Upstream connection layer of the proxy: an HTTP/1.1 client engine over raw net/tls sockets.
export {
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_REQUESTS,
  DEFAULT_POOL_SIZE,
  UpstreamEngine,
} from './engine.js'
export { isRetryable, UpstreamError, type UpstreamErrorKind, type UpstreamErrorState } from './errors.js'
export { InvalidRequestError } from './request-head.js'
export type {
  Attempt,
  UpstreamAttempt,
  UpstreamEngineOptions,
  UpstreamEngineStats,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamTarget,
  UpstreamTlsOptions,
} from './types.js'
