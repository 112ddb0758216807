#!/usr/bin/env node
// Layering rule: the proxy hot path (src/proxy, src/router, src/balancer) never imports the
// store (src/db). Config reaches it through snapshots, not database calls.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(new URL('..', import.meta.url).pathname)
const guarded = ['src/proxy', 'src/router', 'src/balancer']
const forbidden = resolve(root, 'src/db')
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function files(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

const violations = []
for (const dir of guarded) {
  for (const file of files(join(root, dir))) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]
      if (!spec.startsWith('.')) continue
      const target = resolve(dirname(file), spec)
      if (target === forbidden || target.startsWith(`${forbidden}/`)) {
        violations.push(`${relative(root, file)} imports ${spec} (the hot path must not import src/db)`)
      }
    }
  }
}
if (violations.length > 0) {
  console.error(violations.join('\n'))
  process.exit(1)
}
