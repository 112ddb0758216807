// Path routing for the Admin API: templates such as `/services/:services/routes/:routes` in a
// segment tree. Static segments win over parameters (`/plugins/enabled` before
// `/plugins/:plugins`), with backtracking. Segments are percent-decoded before matching.
import { percentDecode } from '../util/percent.js'

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

export interface Route<H> {
  /** Kong-style template, `/services/{services}` form in /endpoints. */
  template: string
  methods: Partial<Record<Method, H>>
}

interface Node<H> {
  statics: Map<string, Node<H>>
  param?: { name: string; node: Node<H> }
  route?: Route<H>
}

function newNode<H>(): Node<H> {
  return { statics: new Map() }
}

export interface Match<H> {
  route: Route<H>
  params: Record<string, string>
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '')
}

export class Router<H> {
  private readonly root: Node<H> = newNode()
  private readonly routes: Route<H>[] = []

  /** Adds handlers for a template; handlers of an existing template are merged (later wins). */
  add(template: string, methods: Partial<Record<Method, H>>): void {
    let node = this.root
    for (const seg of splitPath(template)) {
      if (seg.startsWith(':')) {
        const name = seg.slice(1)
        if (!node.param) node.param = { name, node: newNode() }
        else if (node.param.name !== name) throw new Error(`conflicting parameter names at ${template}`)
        node = node.param.node
      } else {
        let next = node.statics.get(seg)
        if (!next) {
          next = newNode()
          node.statics.set(seg, next)
        }
        node = next
      }
    }
    if (node.route) Object.assign(node.route.methods, methods)
    else {
      node.route = { template, methods: { ...methods } }
      this.routes.push(node.route)
    }
  }

  /** Removes a template entirely (Kong disables some generated endpoints). */
  remove(template: string): void {
    let node: Node<H> | undefined = this.root
    for (const seg of splitPath(template)) {
      if (!node) return
      node = seg.startsWith(':') ? node.param?.node : node.statics.get(seg)
    }
    if (node?.route) {
      const idx = this.routes.indexOf(node.route)
      if (idx !== -1) this.routes.splice(idx, 1)
      node.route = undefined
    }
  }

  match(path: string): Match<H> | null {
    const segments: string[] = []
    for (const raw of splitPath(path)) segments.push(percentDecode(raw))
    const params: Record<string, string> = {}
    const found = this.walk(this.root, segments, 0, params)
    return found ? { route: found, params } : null
  }

  private walk(node: Node<H>, segs: string[], i: number, params: Record<string, string>): Route<H> | null {
    if (i === segs.length) return node.route ?? null
    const stat = node.statics.get(segs[i])
    if (stat) {
      const r = this.walk(stat, segs, i + 1, params)
      if (r) return r
    }
    if (node.param) {
      params[node.param.name] = segs[i]
      const r = this.walk(node.param.node, segs, i + 1, params)
      if (r) return r
      delete params[node.param.name]
    }
    return null
  }

  /** Every registered template, in Kong's `{name}` notation. */
  templates(): string[] {
    return this.routes.map((r) => r.template.replace(/:([^/]+)/g, '{$1}'))
  }
}
