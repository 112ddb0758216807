// The configuration of the running node, for the few rules that depend on it while validating
// entities (Kong reads `kong.configuration` there too), e.g. pre-function refusing code when
// `untrusted_lua = off`. Null in processes that are not a running node (CLI commands).
import type { Conf } from './index.js'

let current: Readonly<Conf> | null = null

export function setNodeConf(conf: Readonly<Conf>): void {
  current = conf
}

export function nodeConf(): Readonly<Conf> | null {
  return current
}
