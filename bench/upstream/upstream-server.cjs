'use strict'
// Upstream for engine.bench.ts, run in its own process (pinned to another core when possible).
//   node upstream-server.cjs <http|raw> <bodyBytes>
// http: node:http keep-alive server. raw: a net server that answers every request head with a
// canned response (much cheaper than node:http, so the client side is what saturates).
// Prints the listening port on stdout.
const http = require('node:http')
const net = require('node:net')

const kind = process.argv[2] || 'http'
const size = Number(process.argv[3] || 100)
const body = Buffer.alloc(size, 'x')

let server
if (kind === 'raw') {
  const response = Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${size}\r\n\r\n`),
    body,
  ])
  const END = Buffer.from('\r\n\r\n')
  server = net.createServer((socket) => {
    socket.setNoDelay(true)
    let tail = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      // Requests have no body: count head terminators (they may straddle chunks).
      const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk
      let n = 0
      let i = buf.indexOf(END)
      let last = 0
      while (i !== -1) {
        n++
        last = i + 4
        i = buf.indexOf(END, last)
      }
      tail = buf.subarray(Math.max(last, buf.length - 3))
      if (n === 1) socket.write(response)
      else if (n > 1) socket.write(Buffer.concat(Array(n).fill(response)))
    })
    socket.on('error', () => {})
  })
} else {
  server = http.createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': size })
    res.end(body)
  })
  server.keepAliveTimeout = 120_000
}
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
