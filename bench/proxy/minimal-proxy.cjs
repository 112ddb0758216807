'use strict'
// The "minimal Node proxy" reference of the benchmark: node:http server + undici Pool with the
// dispatch API (the fastest undici API for this), one process, no routing, no plugins.
// Env: PORT (listen on 127.0.0.1), UPSTREAM_URL.
const http = require('node:http')
const { Pool } = require('undici')

const pool = new Pool(process.env.UPSTREAM_URL, {
  connections: 128,
  pipelining: 1,
  keepAliveTimeout: 120e3,
  keepAliveMaxTimeout: 600e3,
})
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
])

function strip(headers) {
  const out = {}
  for (const k in headers) if (!HOP.has(k)) out[k] = headers[k]
  return out
}

http
  .createServer((req, res) => {
    pool.dispatch(
      {
        path: req.url,
        method: req.method,
        headers: strip(req.headers),
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      },
      {
        onRequestStart() {},
        onResponseStart(_ctl, status, headers) {
          res.writeHead(status, strip(headers))
        },
        onResponseData(ctl, chunk) {
          if (!res.write(chunk)) {
            ctl.pause()
            res.once('drain', () => ctl.resume())
          }
        },
        onResponseEnd() {
          res.end()
        },
        onResponseError(_ctl, err) {
          if (res.headersSent) res.destroy(err)
          else {
            res.statusCode = 502
            res.end()
          }
        },
      },
    )
  })
  .listen(Number(process.env.PORT), '127.0.0.1')
