import type { KubernetesObject, V1Container, V1Deployment, V1Probe, V1Service, V1StatefulSet } from '@kubernetes/client-node'
import { balancerArgs, HEALTH_PATH, READY_PATH, replicaArgs, shardArgs } from '#crm-contract'
import { UsageError } from '../../runner/usage-error.js'
import type { Topology } from '../../scenario/scenario.js'
import { labelsFor, selectorFor, type Component } from './k8s-labels.js'

/** Where the image keeps the CRM service's executable (see agent-dockerfile.ts). */
export const SUT_MAIN_IN_IMAGE = '/opt/loadlab/system-under-test/dist/main.js'
const SHARD_PORT = 7001
const HTTP_PORT = 8080
const REDIS_PORT = 6379
const MEMCACHED_PORT = 11211

/** The Service in front of the CRM (the balancer, or the only replica): what the agents load. */
export function sutEntrypointUrl(base: string): string {
  return `http://${base}-sut:${HTTP_PORT}`
}

/**
 * The reference CRM service of one topology as Kubernetes objects, the same members the local
 * environment starts: shards, replicas, the balancer when there is more than one replica, and
 * redis for the `redis` cache or memcached for the `memcached` cache, plus a Service `<base>-sut` the agents load.
 *
 * Shards and replicas are StatefulSets behind headless Services, not Deployments behind one
 * virtual IP: the replicas address each shard by index (the partition strategy decides which),
 * and the balancer must see every replica on its own, or Kubernetes' connection spreading would
 * replace the balancing strategy under test. The balancer, redis and memcached are plain Deployments.
 * Throws UsageError for a topology this cannot deploy (store "postgres", a sync strategy).
 */
export function sutManifests(base: string, namespace: string, t: Topology, image: string, now = new Date()): KubernetesObject[] {
  if (t.store === 'postgres') {
    throw new UsageError(
      '--sut deploys the embedded shard store only; store "postgres" needs databases provisioned outside LoadLab. ' +
        'Use store "embedded", or deploy the replicas yourself and give the scenario a `target`',
    )
  }
  if (t.sync.strategy !== 'none') {
    throw new UsageError(
      `--sut does not deploy a downstream system or a broker yet (topology.sync.strategy "${t.sync.strategy}"): ` +
        'run this scenario in the local environment, or set sync.strategy to "none"',
    )
  }
  const name = (role: string): string => `${base}-${role}`
  const shardUrls = Array.from({ length: t.shards }, (_, i) => `http://${name('shard')}-${i}.${name('shard')}:${SHARD_PORT}`)
  const replicaUrls = Array.from({ length: t.replicas }, (_, i) => `http://${name('replica')}-${i}.${name('replica')}:${HTTP_PORT}`)
  // As in the local environment: range partitions split the year before the topology starts,
  // and every replica must agree on the window, so it is fixed once here.
  const rangeEnd = now.toISOString()
  const rangeStart = new Date(now.getTime() - 365 * 24 * 3600 * 1000).toISOString()
  const redisUrl = t.cache.strategy === 'redis' ? `redis://${name('redis')}:${REDIS_PORT}` : null
  const memcachedServer = t.cache.strategy === 'memcached' ? `${name('memcached')}:${MEMCACHED_PORT}` : null
  const podIndex: V1Container['env'] = [{ name: 'POD_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } }]

  const objects: KubernetesObject[] = [
    headlessService(base, namespace, 'shard', SHARD_PORT),
    statefulSet(base, namespace, 'shard', t.shards, {
      ...sutContainer(
        'shard',
        image,
        SHARD_PORT,
        shardArgs({ host: '0.0.0.0', port: SHARD_PORT, shardIndex: '$(POD_INDEX)', capacity: t.emulation.shard }),
        HEALTH_PATH,
      ),
      env: podIndex,
    }),
    headlessService(base, namespace, 'replica', HTTP_PORT),
    statefulSet(base, namespace, 'replica', t.replicas, {
      ...sutContainer(
        'replica',
        image,
        HTTP_PORT,
        replicaArgs({
          host: '0.0.0.0',
          port: HTTP_PORT,
          name: '$(POD_NAME)',
          shardUrls,
          store: t.store,
          partition: t.partition,
          rangeStart,
          rangeEnd,
          cache: t.cache,
          redisUrl,
          memcachedServer,
          capacity: t.emulation.replica,
        }),
        READY_PATH,
      ),
      // Sent as X-Replica on every response: the pod's name says which replica answered.
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    }),
  ]
  if (redisUrl) {
    objects.push(
      service(base, namespace, 'redis', name('redis'), REDIS_PORT, selectorFor(base, 'redis')),
      deployment(base, namespace, 'redis', {
        name: 'redis',
        image,
        command: ['redis-server'],
        args: ['--port', String(REDIS_PORT), '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'],
        ports: [{ name: 'redis', containerPort: REDIS_PORT }],
        readinessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 2 },
        resources: { requests: { cpu: '250m', memory: '128Mi' } },
      }),
    )
  }
  if (memcachedServer) {
    objects.push(
      service(base, namespace, 'memcached', name('memcached'), MEMCACHED_PORT, selectorFor(base, 'memcached')),
      deployment(base, namespace, 'memcached', {
        name: 'memcached',
        image,
        command: ['memcached'],
        args: ['-l', '0.0.0.0', '-p', String(MEMCACHED_PORT), '-U', '0', '-m', '64'],
        ports: [{ name: 'memcached', containerPort: MEMCACHED_PORT }],
        readinessProbe: { tcpSocket: { port: MEMCACHED_PORT }, periodSeconds: 2 },
        resources: { requests: { cpu: '250m', memory: '128Mi' } },
      }),
    )
  }
  if (t.replicas > 1) {
    objects.push(
      deployment(
        base,
        namespace,
        'balancer',
        sutContainer(
          'balancer',
          image,
          HTTP_PORT,
          balancerArgs({
            host: '0.0.0.0',
            port: HTTP_PORT,
            strategy: t.balancer.strategy,
            engine: t.balancer.implementation,
            backendUrls: replicaUrls,
            weights: t.balancer.weights,
          }),
          READY_PATH,
        ),
      ),
      service(base, namespace, 'entrypoint', name('sut'), HTTP_PORT, selectorFor(base, 'balancer')),
    )
  } else {
    objects.push(service(base, namespace, 'entrypoint', name('sut'), HTTP_PORT, selectorFor(base, 'replica')))
  }
  return objects
}

function sutContainer(role: string, image: string, port: number, args: string[], readyPath: string): V1Container {
  const probe: V1Probe = { httpGet: { path: readyPath, port }, periodSeconds: 2, failureThreshold: 3 }
  return {
    name: role,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['node', SUT_MAIN_IN_IMAGE],
    args,
    ports: [{ name: 'http', containerPort: port }],
    readinessProbe: probe,
    // No CPU limit: throttling would add latency the capacity model does not describe.
    resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  }
}

function podTemplate(base: string, component: Component, container: V1Container) {
  return {
    metadata: { labels: labelsFor(base, component) },
    spec: { containers: [container], automountServiceAccountToken: false },
  }
}

function statefulSet(base: string, namespace: string, component: 'shard' | 'replica', replicas: number, container: V1Container): V1StatefulSet {
  const name = `${base}-${component}`
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, labels: labelsFor(base, component) },
    spec: {
      serviceName: name,
      replicas,
      // Members start independently: no reason to wait for shard-0 before shard-1.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorFor(base, component) },
      template: podTemplate(base, component, container),
    },
  }
}

function deployment(base: string, namespace: string, component: 'balancer' | 'redis' | 'memcached', container: V1Container): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${base}-${component}`, namespace, labels: labelsFor(base, component) },
    spec: { replicas: 1, selector: { matchLabels: selectorFor(base, component) }, template: podTemplate(base, component, container) },
  }
}

/** Headless: DNS names each pod (`<set>-<i>.<set>`), which is how members address one another. */
function headlessService(base: string, namespace: string, component: 'shard' | 'replica', port: number): V1Service {
  const name = `${base}-${component}`
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: labelsFor(base, component) },
    // Shards must be resolvable before they are ready: replicas check their shards to become ready.
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: selectorFor(base, component), ports: [{ name: 'http', port, targetPort: port }] },
  }
}

function service(base: string, namespace: string, component: Component, name: string, port: number, selector: Record<string, string>): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: labelsFor(base, component) },
    spec: { selector, ports: [{ name: 'http', port, targetPort: port }] },
  }
}
