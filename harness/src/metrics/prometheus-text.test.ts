import { describe, expect, it } from 'vitest'
import { parsePrometheusText, sumBy, sumSamples } from './prometheus-text.js'

const TEXT = `# HELP crm_cache_hits_total Cache hits
# TYPE crm_cache_hits_total counter
crm_cache_hits_total 1027
crm_shard_requests_total{shard="0"} 10
crm_shard_requests_total{shard="1"} 32.5
lb_requests_total{backend="http://127.0.0.1:8001",note="a \\"quoted\\", comma\\\\ and\\nnewline"} 7 1712345678000
crm_http_request_duration_seconds_bucket{route="/customers/:id",le="+Inf"} 12
weird_gauge -Inf
not a metric line {
crm_partition_keys_moved_if_shard_added_ratio 0.2
`

describe('parsePrometheusText', () => {
  const samples = parsePrometheusText(TEXT)

  it('reads names, labels (with escapes), values and timestamps; skips comments and junk', () => {
    expect(samples).toHaveLength(7)
    expect(samples[0]).toEqual({ name: 'crm_cache_hits_total', labels: {}, value: 1027 })
    expect(samples[2]).toEqual({ name: 'crm_shard_requests_total', labels: { shard: '1' }, value: 32.5 })
    expect(samples[3]!.labels).toEqual({ backend: 'http://127.0.0.1:8001', note: 'a "quoted", comma\\ and\nnewline' })
    expect(samples[3]!.value).toBe(7)
    expect(samples[4]!.labels.le).toBe('+Inf')
    expect(samples[5]!.value).toBe(Number.NEGATIVE_INFINITY)
  })

  it('sums counters over label sets and groups them by a label', () => {
    expect(sumSamples(samples, 'crm_shard_requests_total')).toBe(42.5)
    expect(sumSamples(samples, 'crm_shard_requests_total', { shard: '0' })).toBe(10)
    expect(sumSamples(samples, 'absent_total')).toBeUndefined()
    expect(sumBy(samples, 'crm_shard_requests_total', 'shard')).toEqual({ '0': 10, '1': 32.5 })
  })
})
