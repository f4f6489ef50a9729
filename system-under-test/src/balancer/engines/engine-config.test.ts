import { describe, expect, it } from 'vitest'
import { BALANCER_STRATEGIES } from '../../strategies/balancer/balancer.js'
import { unsupportedStrategyMessage } from './engine-capabilities.js'
import { renderHaproxyConfig } from './haproxy-config.js'
import { parseHaproxyStats } from './haproxy-runtime.js'
import { NginxAccessLog } from './nginx-access-log.js'
import { renderNginxConfig } from './nginx-config.js'

const backends = ['http://127.0.0.1:8001', 'http://127.0.0.1:8002']
const common = { port: 9000, host: '127.0.0.1', adminPort: 9100, workDir: '/tmp/w', backends, weights: [3, 1], ejectAfter: 3, maxBodyBytes: 1024 * 1024 }

describe('generated engine configs', () => {
  it('HAProxy: one balance algorithm per strategy, weights, checks, X-Backend per server', () => {
    const expected = {
      'round-robin': 'balance roundrobin',
      'weighted-round-robin': 'balance roundrobin',
      'least-connections': 'balance leastconn',
      random: 'balance random(1)',
      p2c: 'balance random(2)',
      'consistent-hash': 'balance hdr(X-LB-Customer-Id)',
    } as const
    for (const strategy of BALANCER_STRATEGIES) {
      const cfg = renderHaproxyConfig({ ...common, strategy, healthIntervalMs: 1000, healthTimeoutMs: 500, rise: 2, fall: 2 })
      expect(cfg, strategy).toContain(expected[strategy])
      expect(cfg).toContain('option httpchk GET /health')
      expect(cfg).toContain('http-response set-header X-Backend http://127.0.0.1:8002 if { srv_id 2 }')
      expect(cfg).toContain('bind 127.0.0.1:9000')
      // Plain round-robin ignores weights, as the built-in balancer does.
      expect(cfg).toContain(strategy === 'round-robin' ? 'server s1 127.0.0.1:8001 weight 1 check' : 'server s1 127.0.0.1:8001 weight 3 check')
    }
    const ch = renderHaproxyConfig({ ...common, strategy: 'consistent-hash', healthIntervalMs: 1000, healthTimeoutMs: 500, rise: 2, fall: 2 })
    expect(ch).toContain('hash-type consistent')
    expect(ch).toContain('%[path,field(3,/)] if { path_beg /customers/ }')
  })

  it('nginx: one upstream method per strategy, drained servers down, X-Backend from the upstream address', () => {
    const expected = {
      'round-robin': null,
      'weighted-round-robin': null,
      'least-connections': 'least_conn;',
      random: 'random;',
      p2c: 'random two least_conn;',
      'consistent-hash': 'hash $lb_customer_id consistent;',
    } as const
    for (const strategy of BALANCER_STRATEGIES) {
      const cfg = renderNginxConfig({ ...common, strategy, drained: new Set([backends[1]!]), ejectMs: 5000, runAsRoot: false })
      const method = expected[strategy]
      if (method) expect(cfg, strategy).toContain(method)
      else expect(cfg, strategy).not.toMatch(/least_conn|random|hash \$/)
      expect(cfg).toContain('server 127.0.0.1:8002 weight=1 max_fails=3 fail_timeout=5s down;')
      expect(cfg).toContain('add_header X-Backend $lb_backend always;')
      expect(cfg).not.toContain('user root;')
    }
  })

  it('a strategy an engine cannot run is refused naming the engines that can', () => {
    for (const engine of ['builtin', 'haproxy', 'nginx']) for (const s of BALANCER_STRATEGIES) expect(unsupportedStrategyMessage(engine, s)).toBeNull()
    const table = { builtin: ['p2c'], haproxy: ['p2c'], nginx: [] }
    expect(unsupportedStrategyMessage('nginx', 'p2c', table)).toBe('engine "nginx" cannot run strategy "p2c": use --engine builtin or --engine haproxy')
  })
})

describe('engine counters', () => {
  it('parses HAProxy `show stat` server rows', () => {
    const csv =
      '# pxname,svname,scur,stot,status,weight,req_tot,econ,eresp,hrsp_5xx,wretr,wredis,chkdown,lastsess,lastchg\n' +
      'lb,FRONTEND,0,10,OPEN,,10,,,0,,,,,\n' +
      'app,s1,2,7,UP,3,7,0,1,2,1,0,0,5,100\n' +
      'app,s2,0,0,DOWN,1,0,4,0,0,0,1,1,,3\n'
    const rows = parseHaproxyStats(csv)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({
      server: 's1',
      status: 'UP',
      weight: 3,
      current: 2,
      requests: 7,
      responseErrors: 1,
      http5xx: 2,
      retries: 1,
      secondsSinceLastSession: 5,
    })
    expect(rows[1]).toMatchObject({
      server: 's2',
      status: 'DOWN',
      connectErrors: 4,
      downTransitions: 1,
      secondsSinceLastSession: null,
      secondsSinceStatusChange: 3,
    })
  })

  it('counts nginx access-log lines per backend, including retries and errors', () => {
    const log = new NginxAccessLog('/nonexistent', (a) => `http://${a}`)
    log.count('127.0.0.1:8001|200|200')
    log.count('127.0.0.1:8002, 127.0.0.1:8001|502, 200|200')
    log.count('127.0.0.1:8002|503|503')
    log.count('-|-|404')
    expect(log.requests).toEqual(
      new Map([
        ['http://127.0.0.1:8001', 2],
        ['http://127.0.0.1:8002', 2],
      ]),
    )
    expect(log.retries).toBe(1)
    expect(log.errors.get('http://127.0.0.1:8002')).toEqual({ connect: 1, status_5xx: 1 })
  })
})
