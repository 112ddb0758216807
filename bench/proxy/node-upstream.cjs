'use strict'
// Upstream of last resort when nginx is not installed: 100-byte bodies, keep-alive.
const http = require('node:http')
const body = Buffer.alloc(100, 'x')
http
  .createServer({ keepAliveTimeout: 120e3 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
    res.end(body)
  })
  .listen(Number(process.env.PORT), '127.0.0.1')
