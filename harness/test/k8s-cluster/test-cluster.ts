import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node'
import { registerChild } from '../../src/environment/child-registry.js'
import { freePort } from '../../src/environment/free-port.js'
import { withParentDeathSignal } from '../../src/environment/parent-death.js'

// A real Kubernetes control plane on 127.0.0.1 for tests and for trying the manifests by hand:
// etcd (Debian's etcd-server), kube-apiserver, kube-controller-manager (the Job, StatefulSet,
// Deployment and garbage-collection controllers), kube-scheduler, and kwok playing the nodes and
// the pods' lives (kwok-stages.yaml). No container runs: kwok only writes pod status.

const HERE = path.dirname(fileURLToPath(import.meta.url))
const BUILD_SCRIPT = path.join(HERE, 'build-binaries.sh')
const KWOK_STAGES = path.join(HERE, 'kwok-stages.yaml')
const KWOK_VERSION = 'v0.8.0'
const READY_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 5_000
/** Annotation kwok manages nodes by (the nodes this cluster creates carry it). */
export const FAKE_NODE_ANNOTATION = 'kwok.x-k8s.io/node'

export interface TestClusterOptions {
  /** How many fake nodes kwok plays (default 3). */
  nodes?: number
  /** Folder for certificates, etcd's data, the kubeconfig and every component's log (default: a new temporary folder, removed on stop unless `keep`). */
  dir?: string
  /** Keep `dir` after stop (logs for a failed test). */
  keep?: boolean
  /** Progress lines (building, starting ...). */
  log?: (line: string) => void
}

export interface TestCluster {
  /** A kubeconfig file with an admin user (system:masters) for this cluster. */
  kubeconfig: string
  server: string
  dir: string
  nodeNames: string[]
  /** Stops every component (kwok first, etcd last) and removes `dir` unless kept. Safe to call twice. */
  stop(): Promise<void>
}

/** Builds the binaries when they are missing (minutes the first time) and returns their folder. */
export async function buildTestClusterBinaries(log: (line: string) => void = () => {}): Promise<string> {
  log('k8s-test-cluster: checking the binaries (the first build takes about 10 minutes)')
  const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
    for (const line of d.toString().split('\n')) if (line.startsWith('k8s-test-cluster:')) log(line)
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`building the test cluster's binaries failed (exit ${code}):\n${err.slice(-4000)}`)
  return out.trim().split('\n').at(-1) ?? ''
}

/**
 * Starts the cluster and resolves once nodes are Ready and the controllers work (the default
 * ServiceAccount exists). Everything started is stopped again when starting fails.
 */
export async function startTestCluster(o: TestClusterOptions = {}): Promise<TestCluster> {
  const log = o.log ?? (() => {})
  const bin = await buildTestClusterBinaries(log)
  const dir = o.dir ?? mkdtempSync(path.join(tmpdir(), 'loadlab-k8s-'))
  mkdirSync(dir, { recursive: true })
  const components: Component[] = []
  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const c of [...components].reverse()) await c.stop()
      if (!o.keep && o.dir === undefined) rmSync(dir, { recursive: true, force: true })
    })()
    return stopping
  }
  try {
    const pki = await makeCertificates(path.join(dir, 'pki'))
    const [etcdPort, etcdPeerPort, apiPort] = await distinctFreePorts(3)
    const server = `https://127.0.0.1:${apiPort}`
    const kubeconfig = path.join(dir, 'kubeconfig')
    writeFileSync(kubeconfig, kubeconfigYaml(server, pki), { mode: 0o600 })

    log(`k8s-test-cluster: starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok in ${dir}`)
    components.push(
      launch(dir, 'etcd', 'etcd', [
        '--name',
        'loadlab',
        '--data-dir',
        path.join(dir, 'etcd'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${etcdPeerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${etcdPeerPort}`,
        '--initial-cluster',
        `loadlab=http://127.0.0.1:${etcdPeerPort}`,
      ]),
    )
    await until('etcd', components, async () => (await httpGet(`http://127.0.0.1:${etcdPort}/health`)).includes('true'))

    components.push(
      launch(dir, 'kube-apiserver', path.join(bin, 'kube-apiserver'), [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--service-account-key-file=${pki.saPublic}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=RBAC',
        // The "kubernetes" Service may not point at a loopback address, and no pod here needs it.
        '--endpoint-reconciler-type=none',
        // Debian's etcd (3.4) cannot report watch progress, which the watch cache needs to serve the
        // streaming lists client-go asks for first; its refusals restart the controllers' and kwok's
        // watches every few seconds. Without the cache, etcd serves those lists itself.
        '--watch-cache=false',
        // One client (the tests) on a shared machine: no request queuing or profiling endpoints.
        '--enable-priority-and-fairness=false',
        '--profiling=false',
      ]),
    )
    const kc = new KubeConfig()
    kc.loadFromFile(kubeconfig)
    await until('kube-apiserver', components, async () => (await httpsGet(`${server}/readyz`, pki)) === 'ok')

    components.push(
      launch(dir, 'kube-controller-manager', path.join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${kubeconfig}`,
        '--leader-elect=false',
        '--secure-port=0',
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        '--use-service-account-credentials=false',
        // Quicker reactions than production defaults: tests wait on these controllers.
        '--concurrent-job-syncs=5',
        '--node-monitor-grace-period=60s',
      ]),
    )
    components.push(launch(dir, 'kube-scheduler', path.join(bin, 'kube-scheduler'), [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0']))
    components.push(
      launch(dir, 'kwok', path.join(bin, `kwok-${KWOK_VERSION}`), [
        `--kubeconfig=${kubeconfig}`,
        `--config=${KWOK_STAGES}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION}=fake`,
        '--node-lease-duration-seconds=40',
        '--cidr=10.244.0.0/16',
        '--node-ip=10.0.0.1',
      ]),
    )

    const core = kc.makeApiClient(CoreV1Api)
    const nodeNames = Array.from({ length: o.nodes ?? 3 }, (_, i) => `kwok-node-${i}`)
    for (const name of nodeNames) await core.createNode({ body: fakeNode(name) })
    await until('kwok (nodes Ready)', components, async () => {
      const nodes = (await core.listNode()).items
      return nodeNames.every((n) =>
        nodes.some((node) => node.metadata?.name === n && node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
      )
    })
    await until('kube-controller-manager (default ServiceAccount)', components, async () => {
      const accounts = await core.listNamespacedServiceAccount({ namespace: 'default' })
      return accounts.items.some((a) => a.metadata?.name === 'default')
    })
    log(`k8s-test-cluster: ready at ${server} with ${nodeNames.length} kwok nodes; KUBECONFIG=${kubeconfig}`)
    return { kubeconfig, server, dir, nodeNames, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

interface Component {
  name: string
  logFile: string
  child: ChildProcess
  stop(): Promise<void>
}

function launch(dir: string, name: string, command: string, args: string[]): Component {
  const logFile = path.join(dir, `${name}.log`)
  const fd = openSync(logFile, 'a')
  // Own process group, so a Ctrl-C in a terminal reaches the harness, which stops these in order.
  // None of these programs can watch a pipe from us: the kernel kills them if we die first.
  const launched = withParentDeathSignal(command, args, 'SIGKILL')
  const child = spawn(launched.command, launched.args, { stdio: ['ignore', fd, fd], detached: true })
  closeSync(fd)
  registerChild(child, { member: `k8s-test-cluster ${name}`, match: [path.basename(command)], logFile })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  child.once('error', () => {}) // reported by until() as "exited", with the log
  return {
    name,
    logFile,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
      child.kill('SIGTERM')
      const late = await Promise.race([exited.then(() => false), sleep(STOP_GRACE_MS).then(() => true)])
      if (late) {
        child.kill('SIGKILL')
        await exited
      }
    },
  }
}

/** Polls `check` until true; fails early, with the log's tail, when a component has exited. */
async function until(what: string, components: Component[], check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const dead = components.find((c) => c.child.exitCode !== null || c.child.signalCode !== null)
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}; end of ${dead.logFile}:\n${tail(dead.logFile)}`)
    try {
      if (await check()) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} not ready after ${READY_TIMEOUT_MS / 1000} s; logs: ${components.map((c) => c.logFile).join(', ')}\n${tail(components.at(-1)?.logFile ?? '')}`,
      )
    }
    await sleep(250)
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-25).join('\n')
  } catch {
    return '(no log)'
  }
}

interface Pki {
  caCert: string
  serverCert: string
  serverKey: string
  adminCert: string
  adminKey: string
  saKey: string
  saPublic: string
}

const execFileAsync = promisify(execFile)

/** A CA, the API server's serving certificate, an admin client certificate and the service-account signing key (EC P-256: quick to make). */
async function makeCertificates(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true })
  const f = (name: string): string => path.join(dir, name)
  const openssl = (...args: string[]): Promise<unknown> => execFileAsync('openssl', args, { cwd: dir })
  const key = (name: string): Promise<unknown> => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(name))
  await Promise.all([key('ca.key'), key('apiserver.key'), key('admin.key'), key('sa.key')])
  await openssl('req', '-x509', '-new', '-key', f('ca.key'), '-subj', '/CN=loadlab-test-cluster-ca', '-days', '7', '-out', f('ca.crt'))
  const sign = async (name: string, subject: string, extensions: string): Promise<void> => {
    writeFileSync(f(`${name}.ext`), extensions)
    await openssl('req', '-new', '-key', f(`${name}.key`), '-subj', subject, '-out', f(`${name}.csr`))
    await openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.crt`),
    )
  }
  await sign(
    'apiserver',
    '/CN=kube-apiserver',
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  )
  await sign('admin', '/O=system:masters/CN=loadlab-admin', 'extendedKeyUsage=clientAuth\n')
  await openssl('pkey', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub'))
  return {
    caCert: f('ca.crt'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    saKey: f('sa.key'),
    saPublic: f('sa.pub'),
  }
}

function kubeconfigYaml(server: string, pki: Pki): string {
  const b64 = (file: string): string => readFileSync(file).toString('base64')
  return `apiVersion: v1
kind: Config
clusters:
- name: loadlab-test
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(pki.caCert)}
users:
- name: loadlab-admin
  user:
    client-certificate-data: ${b64(pki.adminCert)}
    client-key-data: ${b64(pki.adminKey)}
contexts:
- name: loadlab-test
  context:
    cluster: loadlab-test
    user: loadlab-admin
current-context: loadlab-test
`
}

function fakeNode(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [FAKE_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
    },
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

function httpGet(url: string): Promise<string> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text())
}

function httpsGet(url: string, pki: Pki): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey), timeout: 2_000 }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('timeout')))
  })
}
