import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { topologySchema } from '../../scenario/scenario-schema.js'
import { sutManifests } from './sut-manifests.js'

describe('sutManifests: the shared caches', () => {
  it('cache memcached: a memcached Deployment and Service, and every replica pointed at it', () => {
    const t = topologySchema.parse({ replicas: 2, cache: { strategy: 'memcached' } })
    const objects = sutManifests('run1', 'load', t, 'img:1')
    const names = objects.map((o) => `${o.kind}/${o.metadata?.name}`)
    expect(names).toEqual(expect.arrayContaining(['Deployment/run1-memcached', 'Service/run1-memcached']))
    expect(names).not.toContain('Deployment/run1-redis')
    const memcached = objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'run1-memcached') as V1Deployment
    expect(memcached.spec?.template.spec?.containers[0]).toMatchObject({ command: ['memcached'], readinessProbe: { tcpSocket: { port: 11211 } } })
    const replicas = objects.find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'run1-replica') as V1StatefulSet
    const args = replicas.spec?.template.spec?.containers[0]?.args ?? []
    expect(args.slice(args.indexOf('--cache'), args.indexOf('--cache') + 2)).toEqual(['--cache', 'memcached'])
    expect(args[args.indexOf('--memcached') + 1]).toBe('run1-memcached:11211')
  })

  it('cache none: no cache server at all', () => {
    const objects = sutManifests('run1', 'load', topologySchema.parse({}), 'img:1')
    expect(objects.some((o) => /memcached|redis/.test(o.metadata?.name ?? ''))).toBe(false)
  })
})
