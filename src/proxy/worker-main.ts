// Entry point of a proxy worker process (forked by the primary with node:cluster).
import type { PrimaryMessage, WorkerMessage } from '../cluster/messages.js'
import type { Conf } from '../conf/index.js'
import { Logger, type LogLevel } from '../log/logger.js'
import { type DefaultCertificates, ProxyWorker } from './worker.js'

interface Init {
  type: 'init'
  conf: Conf
  workerId: number
  certs: DefaultCertificates
  nodeId: string
}

let worker: ProxyWorker | null = null
let queue: Promise<void> = Promise.resolve()

function send(m: WorkerMessage): void {
  if (process.connected) process.send?.(m)
}

process.on('message', (m: Init | PrimaryMessage) => {
  if (m.type === 'init') {
    const conf = m.conf
    const log = new Logger({
      level: conf.log_level as LogLevel,
      file: conf.proxy_error_log && conf.proxy_error_log !== 'off' ? conf.proxy_error_log : null,
      worker: m.workerId + 1,
    })
    const certs = m.certs
    worker = new ProxyWorker(conf, log, send, () => certs, m.nodeId)
    setInterval(() => {
      if (worker) send({ type: 'stats', stats: worker.stats() })
    }, 1000).unref()
    return
  }
  const w = worker
  if (!w) return
  // Cache traffic is answered at once: a lookup must not wait behind a snapshot rebuild.
  if (
    m.type === 'lookup-result' ||
    m.type === 'invalidate' ||
    m.type === 'counters-result' ||
    m.type === 'counters-reclaim' ||
    m.type === 'health' ||
    m.type === 'plugin-call-result' ||
    m.type === 'metrics-request'
  ) {
    void w.onMessage(m)
    return
  }
  // Messages are handled one at a time, in order (a rebuild must not overlap a config load).
  queue = queue
    .then(() => w.onMessage(m))
    .catch((err: unknown) => w.log.error('worker message failed: ', err))
})

process.on('uncaughtException', (err) => {
  worker?.log.crit('uncaught exception in proxy worker: ', err)
  process.exit(70)
})

// The primary going away ends the worker.
process.on('disconnect', () => process.exit(0))

send({ type: 'hello', pid: process.pid })
