import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { build, type Plugin } from 'esbuild'
import { ScenarioError } from '../../scenario/scenario-error.js'

/** Name of the bundled scenario inside the bundle (and the ConfigMap key, and the file in the pod). */
export const BUNDLE_ENTRY = 'scenario.mjs'

export interface DataFile {
  /** Absolute path on this machine. */
  source: string
  /** File name next to the bundle (a ConfigMap key: letters, digits, '-', '_', '.'). */
  key: string
  content: Buffer
}

export interface ScenarioBundle {
  /** The scenario and everything it imports (LoadLab's helpers, JSON, npm packages) as one ES module. */
  code: string
  /** Files the scenario reads with `new URL('./file', import.meta.url)`, placed next to the bundle. */
  dataFiles: DataFile[]
}

// A data file is referenced as `new URL('<relative path>', import.meta.url)`, the one form that
// names a file relative to the module in a way both Node and a bundler can see statically.
const DATA_FILE_URL = /new\s+URL\(\s*(['"`])(\.{1,2}\/[^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g
const SOURCE_FILE = /\.(m|c)?(t|j)sx?$/
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx' } as const

/**
 * Bundles a scenario file into one ES module for a pod that has no checkout: its imports are
 * inlined (only Node's built-in modules stay imports), and every data file it reads through
 * `new URL('./x.csv', import.meta.url)` is collected and the reference rewritten to a file next to
 * the bundle, so the bundle and its data files can travel together in one ConfigMap.
 * Throws ScenarioError (exit 2) when the file does not compile or names a data file that is missing.
 */
export async function bundleScenario(scenarioFile: string): Promise<ScenarioBundle> {
  const dataFiles = new Map<string, DataFile>()
  const keys = new Set([BUNDLE_ENTRY])
  const keyFor = (source: string): string => {
    const known = dataFiles.get(source)
    if (known) return known.key
    const stem = path.basename(source).replace(/[^-._a-zA-Z0-9]/g, '_')
    let key = stem
    for (let n = 2; keys.has(key); n++) key = `${n}-${stem}`
    keys.add(key)
    dataFiles.set(source, { source, key, content: readFileSync(source) })
    return key
  }

  const collectDataFiles: Plugin = {
    name: 'loadlab-data-files',
    setup(b) {
      b.onLoad({ filter: SOURCE_FILE }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
        const source = readFileSync(args.path, 'utf8')
        const errors: Array<{ text: string }> = []
        const contents = source.replace(DATA_FILE_URL, (whole, quote: string, relative: string) => {
          const target = path.resolve(path.dirname(args.path), relative)
          if (!existsSync(target) || !statSync(target).isFile()) {
            errors.push({ text: `${path.relative(process.cwd(), args.path)} reads ${relative}, which is not a file (looked at ${target})` })
            return whole
          }
          return `new URL(${quote}./${keyFor(target)}${quote}, import.meta.url)`
        })
        const loader = LOADERS[path.extname(args.path) as keyof typeof LOADERS] ?? 'ts'
        return { contents, loader, errors }
      })
    },
  }

  try {
    const result = await build({
      entryPoints: [scenarioFile],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Inlined CommonJS packages may call require() for Node's built-ins; an ES module has no require.
      banner: { js: "import { createRequire as __loadlabCreateRequire } from 'node:module'; const require = __loadlabCreateRequire(import.meta.url);" },
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [collectDataFiles],
    })
    const output = result.outputFiles[0]
    if (!output) throw new Error('the bundler produced no output')
    return { code: output.text, dataFiles: [...dataFiles.values()] }
  } catch (error) {
    const messages = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors
    const reason = messages?.length
      ? messages.map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text)).join('; ')
      : error instanceof Error
        ? error.message
        : String(error)
    throw new ScenarioError(`${scenarioFile} could not be bundled for Kubernetes: ${reason}`)
  }
}
