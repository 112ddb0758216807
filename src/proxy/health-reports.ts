// A worker's passive health reports (balancer.md §6.3): the reports of one event-loop turn go to
// the primary's checker as one `health-report` message. Only upstreams with passive checks on
// report (snapshot `passive`), so traffic to the others costs nothing here.
import type { HealthEvent } from '../balancer/health.js'
import { encodeReports } from '../cluster/health.js'
import type { WorkerMessage } from '../cluster/messages.js'

export class HealthReports {
  private pending: [string, string, HealthEvent][] = []

  constructor(private readonly send: (m: WorkerMessage) => void) {}

  readonly report = (upstreamId: string, key: string, event: HealthEvent): void => {
    if (this.pending.length === 0) setImmediate(this.flush)
    this.pending.push([upstreamId, key, event])
  }

  private readonly flush = (): void => {
    const reports = encodeReports(this.pending)
    this.pending = []
    this.send({ type: 'health-report', reports })
  }
}
