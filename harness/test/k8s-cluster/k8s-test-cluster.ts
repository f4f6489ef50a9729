import { parseArgs } from 'node:util'
import { startTestCluster } from './test-cluster.js'

// `make k8s-test-cluster`: builds the binaries when missing, starts the cluster on 127.0.0.1 and
// keeps it until Ctrl-C, then stops every component and removes its folder.
const { values } = parseArgs({ options: { nodes: { type: 'string', default: '3' } } })
const nodes = Number(values.nodes)
if (!Number.isInteger(nodes) || nodes < 1) {
  process.stderr.write(`--nodes "${values.nodes}" must be a whole number >= 1\n`)
  process.exit(2)
}

const log = (line: string): void => void process.stderr.write(`${line}\n`)
const cluster = await startTestCluster({ nodes, log })
process.stdout.write(
  [
    `export KUBECONFIG=${cluster.kubeconfig}`,
    `nodes (kwok): ${cluster.nodeNames.join(', ')}`,
    'pods of a Job stay Running until annotated: kubectl annotate pod <pod> loadlab.test/finish=succeed (or =fail)',
    `logs: ${cluster.dir}`,
    'press Ctrl-C to stop the cluster',
    '',
  ].join('\n'),
)
await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve)
  process.once('SIGTERM', resolve)
})
log('k8s-test-cluster: stopping')
await cluster.stop()
