// `*_listen` values (spec cli-and-conf.md §2.4):
//   off | <address>:<port> [flag ...][, <address>:<port> [flag ...] ...]
// Address: IPv4, [IPv6], or a hostname. Flags may appear anywhere after the address. The error text
// is Kong's, including the Lua patterns it prints for the valued flags.
import { isIP } from 'node:net'
import { splitList } from './parse.js'
import type { Listener } from './types.js'

export type ListenerSubsystem = 'http' | 'stream'

interface FlagSpec {
  /** What Kong prints in the usage message. */
  usage: string
  pattern: RegExp
}

const flag = (usage: string, pattern: RegExp): FlagSpec => ({ usage, pattern })

const SSL = flag('ssl', /^ssl$/)
const PROXY_PROTOCOL = flag('proxy_protocol', /^proxy_protocol$/)
const BIND = flag('bind', /^bind$/)
const REUSEPORT = flag('reuseport', /^reuseport$/)
const BACKLOG = flag('backlog=%d+', /^backlog=\d+$/)
const IPV6ONLY_ON = flag('ipv6only=on', /^ipv6only=on$/)
const IPV6ONLY_OFF = flag('ipv6only=off', /^ipv6only=off$/)
const KEEPALIVE_ON = flag('so_keepalive=on', /^so_keepalive=on$/)
const KEEPALIVE_OFF = flag('so_keepalive=off', /^so_keepalive=off$/)
const KEEPALIVE_TUNED = flag('so_keepalive=%w*:%w*:%d*', /^so_keepalive=[A-Za-z0-9]*:[A-Za-z0-9]*:\d*$/)

/** Accepted flags per subsystem, in Kong's order (which is also the order of `listener`). */
const SUBSYSTEM_FLAGS: Record<ListenerSubsystem, readonly FlagSpec[]> = {
  http: [
    SSL,
    flag('http2', /^http2$/),
    PROXY_PROTOCOL,
    flag('deferred', /^deferred$/),
    BIND,
    REUSEPORT,
    BACKLOG,
    IPV6ONLY_ON,
    IPV6ONLY_OFF,
    KEEPALIVE_ON,
    KEEPALIVE_OFF,
    KEEPALIVE_TUNED,
  ],
  stream: [
    flag('udp', /^udp$/),
    SSL,
    PROXY_PROTOCOL,
    BIND,
    REUSEPORT,
    BACKLOG,
    IPV6ONLY_ON,
    IPV6ONLY_OFF,
    KEEPALIVE_ON,
    KEEPALIVE_OFF,
    KEEPALIVE_TUNED,
  ],
}

/** Kong's usage text: `<property> must be of form: [off] | <ip>:<port> [<flag>] ... , [... next entry ...]`. */
export function listenerUsage(
  property: string,
  subsystem: ListenerSubsystem = subsystemOf(property),
): string {
  const flags = SUBSYSTEM_FLAGS[subsystem].map((f) => f.usage)
  return `${property} must be of form: [off] | <ip>:<port> [${flags.join('] [')}], [... next entry ...]`
}

/** stream_listen takes stream flags; every other `*_listen` property takes HTTP flags. */
export function subsystemOf(property: string): ListenerSubsystem {
  return property === 'stream_listen' ? 'stream' : 'http'
}

const HOSTNAME = /^[A-Za-z0-9_*][A-Za-z0-9._*-]*$/

/**
 * Parses a listen value (text or list items) into listeners; `off` (as first entry) gives [].
 * Throws an Error carrying Kong's usage message when an entry is invalid or the value is empty.
 */
export function parseListeners(
  property: string,
  value: string | readonly string[],
  subsystem: ListenerSubsystem = subsystemOf(property),
): Listener[] {
  const entries = typeof value === 'string' ? splitList(value) : value
  const usage = listenerUsage(property, subsystem)
  if (entries.length === 0) throw new Error(usage)
  if (entries[0].trim() === 'off') return []

  const flags = SUBSYSTEM_FLAGS[subsystem]
  return entries.map((entry) => {
    const listener = parseEntry(entry, flags)
    if (!listener) throw new Error(usage)
    return listener
  })
}

function parseEntry(entry: string, flags: readonly FlagSpec[]): Listener | null {
  const seen = new Map<FlagSpec, string>()
  const rest: string[] = []
  for (const token of entry.trim().split(/\s+/)) {
    const matched = flags.find((f) => f.pattern.test(token))
    if (matched) seen.set(matched, token)
    else rest.push(token)
  }
  if (rest.length !== 1) return null
  const address = parseAddress(rest[0])
  if (!address) return null

  const listener: Listener = {
    ip: address.ip,
    port: address.port,
    ssl: false,
    http2: false,
    proxy_protocol: false,
    deferred: false,
    bind: false,
    reuseport: false,
    udp: false,
    listener: '',
  }
  const forwarded: string[] = []
  for (const f of flags) {
    const token = seen.get(f)
    if (token === undefined) continue
    applyFlag(listener, token)
    // Kong leaves http2 out of `listener` (nginx >= 1.25.1 takes it as a separate directive).
    if (token !== 'http2') forwarded.push(token)
  }
  const host = isIP(address.ip) === 6 ? `[${address.ip}]` : address.ip
  listener.listener = [`${host}:${address.port}`, ...forwarded].join(' ')
  return listener
}

function applyFlag(listener: Listener, token: string): void {
  const eq = token.indexOf('=')
  if (eq === -1) {
    const name = token as 'ssl' | 'http2' | 'proxy_protocol' | 'deferred' | 'bind' | 'reuseport' | 'udp'
    listener[name] = true
    return
  }
  const key = token.slice(0, eq)
  const value = token.slice(eq + 1)
  if (key === 'backlog') listener.backlog = Number(value)
  else if (key === 'ipv6only') listener.ipv6only = value as 'on' | 'off'
  else listener.so_keepalive = value
}

function parseAddress(text: string): { ip: string; port: number } | null {
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(text)
    if (!match || isIP(match[1]) !== 6) return null
    host = match[1]
    portText = match[2]
  } else {
    const match = /^([^:]+):(\d+)$/.exec(text)
    if (!match) return null
    host = match[1]
    portText = match[2]
    // Something made only of digits and dots is meant as IPv4 and must be one (Kong's hostname_type).
    if (/^[\d.]+$/.test(host) ? isIP(host) !== 4 : !HOSTNAME.test(host)) return null
  }
  const port = Number(portText)
  // Port 0 is accepted, as in Kong (it asks the system for an ephemeral port).
  if (port > 65535) return null
  return { ip: host, port }
}
