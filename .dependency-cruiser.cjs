// The layers of LoadLab, checked by `npm run lint` (which `make test` runs): an import may only
// run down, from a layer to one below it. Data moves one way (scenario -> plan -> environment ->
// engine -> samples -> metrics -> analysis -> gates -> reports), and so do the imports: the
// runner emits events and never knows which reporters listen; engines never know the runner.
// A new folder fails the check until it is given a layer here (see CONTRIBUTING.md).

/**
 * Each package's folders, top layer first. Folders in one layer may not import each other, unless
 * the layer says `mutual` (they are one unit split for size). Tests and benchmark scripts sit above
 * every layer and are not checked.
 */
const PACKAGES = [
  {
    root: 'harness/src',
    layers: [
      // Benchmark scripts drive the CLI's pieces: nothing imports them.
      ['bench'],
      ['cli'],
      ['report', 'k8s'],
      // The load agents run the runner's engines in workers; both use the runner's usage error
      // and tool version: one unit.
      { folders: ['runner', 'agents'], mutual: true },
      // sync/ reads back what the downstream system holds after a run (lag, missing, duplicates).
      ['environment', 'engines', 'sync'],
      ['scenario'],
      ['gates'],
      ['analysis', 'metrics'],
      ['results'],
      ['workload'],
      ['random'],
      // Small helpers with no LoadLab imports (`must`), usable from every layer.
      ['util'],
    ],
  },
  {
    root: 'system-under-test/src',
    layers: [
      ['main.ts'],
      ['replica', 'balancer', 'downstream'],
      ['api'],
      // The store port and its adapters, the partition strategies and the change feed with its
      // brokers (sync/) speak the domain's records and customer ids: one unit.
      { folders: ['domain', 'storage', 'strategies', 'sync'], mutual: true },
      // What every role's command line and admin routes share.
      ['cli', 'admin'],
      ['capacity', 'http', 'util'],
      ['config'],
      // What the CRM service and the harness agree on: it imports nothing of either.
      ['contract'],
    ],
  },
]

/**
 * Leaf modules (they import nothing of LoadLab) that every layer may use. They sit in runner/
 * for history; moving them touches every importer, which is left for a quiet moment.
 */
const SHARED_LEAVES = ['^harness/src/runner/usage-error\\.ts$', '^harness/src/runner/tool-version\\.ts$']

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const folderPattern = (root, folders) => `^${escape(root)}/(${folders.map(escape).join('|')})($|/)`

function layerRules({ root, layers }) {
  const normalized = layers.map((layer) => (Array.isArray(layer) ? { folders: layer, mutual: false } : layer))
  const rules = []
  normalized.forEach((layer, i) => {
    const above = normalized.slice(0, i).flatMap((l) => l.folders)
    if (above.length > 0) {
      rules.push({
        name: `layers: ${root}/{${layer.folders.join(',')}} imports a layer above it`,
        comment: `${layer.folders.join(', ')} sit below ${above.join(', ')}: move the shared code down, or turn the call into an event or a parameter`,
        severity: 'error',
        from: { path: folderPattern(root, layer.folders), pathNot: '\\.test\\.ts$' },
        to: { path: folderPattern(root, above), pathNot: SHARED_LEAVES },
      })
    }
    if (!layer.mutual) {
      for (const folder of layer.folders) {
        const peers = layer.folders.filter((f) => f !== folder)
        if (peers.length === 0) continue
        rules.push({
          name: `layers: ${root}/${folder} imports its peer ${peers.join('|')}`,
          comment: `${folder} and ${peers.join(', ')} share a layer and stay independent: move what both need into a layer below`,
          severity: 'error',
          from: { path: folderPattern(root, [folder]), pathNot: '\\.test\\.ts$' },
          to: { path: folderPattern(root, peers) },
        })
      }
    }
  })
  const known = normalized.flatMap((l) => l.folders)
  rules.push({
    name: `layers: ${root} has a folder without a layer`,
    comment: `give the folder a layer in .dependency-cruiser.cjs (known: ${known.join(', ')})`,
    severity: 'error',
    from: { path: `^${escape(root)}/`, pathNot: [folderPattern(root, known), '\\.test\\.ts$'] },
    to: {},
  })
  return rules
}

module.exports = {
  forbidden: [
    ...PACKAGES.flatMap(layerRules),
    {
      name: 'the harness uses only the contract of the CRM service',
      comment: 'the harness talks to the CRM service through its contract (system-under-test/src/contract/) and its processes, never its code',
      severity: 'error',
      from: { path: '^harness/' },
      to: { path: '^system-under-test/', pathNot: ['^system-under-test/src/contract/', '^system-under-test/test/support/'] },
    },
    {
      name: 'the harness code does not start the CRM service through its tests',
      comment: 'harness tests may start the service with its test support (as a user starts their own system); the harness itself launches it through the contract',
      severity: 'error',
      from: { path: '^harness/src/' },
      to: { path: '^system-under-test/test/' },
    },
    {
      name: 'the CRM service does not know the harness',
      severity: 'error',
      from: { path: '^system-under-test/' },
      to: { path: '^(harness|scenarios)/' },
    },
    {
      name: 'scenario files are plain data',
      comment: 'a scenario file imports defineScenario and nothing else of LoadLab',
      severity: 'error',
      from: { path: '^scenarios/[^/]+\\.ts$', pathNot: '\\.test\\.ts$' },
      to: { path: '^(harness|system-under-test)/', pathNot: '^harness/src/scenario/define-scenario\\.ts$' },
    },
    {
      name: 'no circular imports',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['loadlab-source', 'import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
}
