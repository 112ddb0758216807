// Kong's exposition format, the workers' series added up, and exited workers' counts kept.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { WorkerSeries } from './exporter.js'
import { exposition, luaNumber, type Series, seriesKey } from './metrics.js'
import { encodeSeries, inc, observe, resetSeries } from './store.js'

describe('prometheus metrics', () => {
  it('writes numbers as Lua does', () => {
    assert.deepEqual([0, 1, 42, 0.5, 1e15, 123456789012345, 0.00001, 2.5e-7].map(luaNumber), [
      '0',
      '1',
      '42',
      '0.5',
      '1e+15',
      '1.2345678901235e+14',
      '1e-05',
      '2.5e-07',
    ])
  })

  it('escapes label values', () => {
    assert.equal(seriesKey('m', ['a', 'b'], ['x"y', 'c\\d']), 'm{a="x\\"y",b="c\\\\d"}')
    assert.equal(seriesKey('m', [], []), 'm')
  })

  it('renders counters and histograms sorted, with HELP and TYPE once per metric', () => {
    resetSeries()
    inc('http_requests_total', ['s', 'r', '200', 'service', 'default', ''], 1)
    inc('http_requests_total', ['s', 'r', '200', 'service', 'default', ''], 2)
    observe('kong_latency_ms', ['s', 'r', 'default'], 3)
    observe('kong_latency_ms', ['s', 'r', 'default'], 9000)
    const series: Series = new Map(JSON.parse(encodeSeries()) as [string, number[]][])
    const page = exposition(series)
    const lines = page.split('\n')
    assert.equal(
      lines[0],
      '# HELP kong_http_requests_total HTTP status codes per consumer/service/route in Kong',
    )
    assert.equal(lines[1], '# TYPE kong_http_requests_total counter')
    assert.equal(
      lines[2],
      'kong_http_requests_total{service="s",route="r",code="200",source="service",workspace="default",consumer=""} 3',
    )
    assert.equal(
      lines[3],
      '# HELP kong_kong_latency_ms Latency added by Kong and enabled plugins for each service/route in Kong',
    )
    assert.equal(lines[4], '# TYPE kong_kong_latency_ms histogram')
    const l = 'service="s",route="r",workspace="default"'
    assert.equal(lines[5], `kong_kong_latency_ms_bucket{${l},le="1"} 0`)
    assert.equal(lines[7], `kong_kong_latency_ms_bucket{${l},le="5"} 1`)
    assert.equal(lines[21], `kong_kong_latency_ms_bucket{${l},le="6000"} 1`)
    assert.equal(lines[22], `kong_kong_latency_ms_bucket{${l},le="+Inf"} 2`)
    assert.equal(lines[23], `kong_kong_latency_ms_count{${l}} 2`)
    assert.equal(lines[24], `kong_kong_latency_ms_sum{${l}} 9003`)
    resetSeries()
  })

  it('adds up the workers, and keeps what exited workers sent', () => {
    const w = new WorkerSeries()
    w.update(1, JSON.stringify([['a', [2]]]))
    w.update(
      2,
      JSON.stringify([
        ['a', [3]],
        ['b', [1]],
      ]),
    )
    assert.deepEqual(
      [...w.total()],
      [
        ['a', [5]],
        ['b', [1]],
      ],
    )
    w.update(1, JSON.stringify([['a', [4]]]))
    w.retire(1)
    w.update(3, JSON.stringify([['a', [1]]]))
    assert.deepEqual([...w.total()].sort(), [
      ['a', [8]],
      ['b', [1]],
    ])
    w.retire(2)
    w.retire(3)
    assert.deepEqual([...w.total()].sort(), [
      ['a', [8]],
      ['b', [1]],
    ])
  })
})
