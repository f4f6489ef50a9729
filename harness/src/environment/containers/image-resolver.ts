import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import { EnvironmentError } from '../environment.js'
import { findOnPath } from '../find-on-path.js'
import { kafkaClassPath } from '../kafka-server.js'
import { DEBIAN_SUITE, imageSourcesList, machineDebianMirrors } from './apt-sources.js'
import { crmContext } from './crm-build-context.js'
import {
  CRM_IMAGE_REPOS,
  imageCandidates,
  LOCAL_DEBIAN_IMAGE,
  LOCAL_IMAGES,
  type BaseImageKind,
  type CrmRuntime,
  type ImageChoice,
  type ImagePreference,
} from './image-catalog.js'
import { IMAGE_LOG_DIR, indent, type ImageStore, type OperationLog } from './image-store.js'
import { localRecipe } from './local-image-recipes.js'

/** Label on every image LoadLab builds: a hash of its inputs. Equal hash = nothing to rebuild. */
const LABEL_INPUTS = 'loadlab.inputs'

// The toxiproxy version whose server `go install` builds when no binary is found (the same one
// .ci/install-deps installs as toxiproxy-server).
const TOXIPROXY_MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0'

export interface ImageResolverOptions {
  preference: ImagePreference
  /** Build local equivalents when nothing is present and pulls fail (runs: yes; `images list`: no). */
  build: boolean
  env?: NodeJS.ProcessEnv
}

/**
 * Decides, per kind of member, which image runs it, and makes sure it is in Docker: an image
 * already present, else a pull, else a local build (as the preference allows). Remembers its
 * answers, so a suite of runs resolves each image once.
 */
export class ImageResolver {
  private readonly chosen = new Map<string, Promise<ImageChoice>>()

  constructor(
    private readonly store: ImageStore,
    private readonly options: ImageResolverOptions,
  ) {}

  /** The image for a base kind (redis, postgres, toxiproxy, node, haproxy, nginx). */
  base(kind: BaseImageKind): Promise<ImageChoice> {
    return this.once(kind, () => this.resolveBase(kind))
  }

  /** The CRM service image on the given runtime (node; haproxy or nginx for a balancer implementation), built from this checkout when missing. */
  crm(runtime: CrmRuntime): Promise<ImageChoice> {
    return this.once(`crm:${runtime}`, async () => {
      const node = await this.base('node')
      const base = runtime === 'node' ? node : await this.base(runtime)
      return this.buildCrm(runtime, node, base, false)
    })
  }

  /**
   * Builds (or confirms) the registry-free image of a kind: the Debian base first, then the
   * recipe. Returns whether it had to build. Called by `loadlab images build` and, when pulls
   * fail, by a run.
   */
  async buildLocal(kind: BaseImageKind | 'debian', force = false): Promise<'built' | 'up to date'> {
    if (kind === 'debian') return this.buildDebian(force)
    await this.buildDebian(false)
    const toxiproxyServer = kind === 'toxiproxy' ? await this.toxiproxyServer() : ''
    const kafkaJars = kind === 'kafka' ? kafkaJarFiles() : []
    const recipe = localRecipe(kind, { hostNode: process.execPath, toxiproxyServer, kafkaJars })
    const hash = createHash('sha256').update(recipe.dockerfile)
    for (const [name, file] of Object.entries(recipe.files).sort(([a], [b]) => a.localeCompare(b))) {
      hash.update(name)
      if ('content' in file) hash.update(file.content)
      else {
        // Size and time stand for a binary's content (hashing 100 MB of Node on every check is slow).
        const stat = statSync(file.hostFile)
        hash.update(`${file.hostFile}:${stat.size}:${stat.mtimeMs}`)
      }
    }
    const inputs = hash.digest('hex').slice(0, 16)
    const tag = LOCAL_IMAGES[kind]
    const present = await this.store.inspect(tag)
    if (!force && present?.labels[LABEL_INPUTS] === inputs) return 'up to date'
    this.store.say(`building ${tag} (local equivalent of the official ${kind} image)...`)
    const dir = mkdtempSync(path.join(tmpdir(), `loadlab-build-${kind}-`))
    try {
      writeFileSync(path.join(dir, 'Dockerfile'), recipe.dockerfile)
      for (const [name, file] of Object.entries(recipe.files)) {
        const target = path.join(dir, name)
        if ('content' in file) writeFileSync(target, file.content)
        else copyFileSync(file.hostFile, target)
        if (file.mode) chmodSync(target, file.mode)
      }
      await this.store.build(tag, dir, { labels: { [LABEL_INPUTS]: inputs } })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    return 'built'
  }

  /** The CRM images for every runtime whose base is available (for `loadlab images build`). */
  async buildCrm(runtime: CrmRuntime, node: ImageChoice, base: ImageChoice, force: boolean): Promise<ImageChoice> {
    const context = crmContext()
    const nodeId = (await this.store.inspect(node.name))?.id ?? node.name
    const baseId = (await this.store.inspect(base.name))?.id ?? base.name
    const inputs = createHash('sha256').update(`${context.hash}|${nodeId}|${baseId}`).digest('hex').slice(0, 16)
    const tag = `${CRM_IMAGE_REPOS[runtime]}:${inputs}`
    // Official bases make an image on official images; anything built here from local bases is local.
    const source =
      node.source === 'official' && base.source === 'official' ? 'official' : node.source === 'custom' || base.source === 'custom' ? 'custom' : 'local'
    if (!force && (await this.store.has(tag))) return { kind: `crm-${runtime}`, name: tag, source }
    this.store.say(`building ${tag} (the CRM service from this checkout on ${base.name})...`)
    const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-build-crm-'))
    try {
      context.stage(dir)
      await this.store.build(tag, dir, {
        buildargs: { NODE_IMAGE: node.name, ENGINE_IMAGE: base.name },
        target: runtime === 'node' ? 'crm' : 'crm-with-engine',
        labels: { [LABEL_INPUTS]: inputs },
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    await this.pruneOldCrmImages(runtime, tag)
    return { kind: `crm-${runtime}`, name: tag, source }
  }

  private once(key: string, make: () => Promise<ImageChoice>): Promise<ImageChoice> {
    let found = this.chosen.get(key)
    if (!found) {
      found = make()
      found.catch(() => this.chosen.delete(key))
      this.chosen.set(key, found)
    }
    return found
  }

  private async resolveBase(kind: BaseImageKind): Promise<ImageChoice> {
    const candidates = imageCandidates(kind, this.options.preference, this.options.env)
    for (const candidate of candidates) {
      if (await this.store.has(candidate.name)) return candidate
    }
    const reasons: string[] = []
    for (const candidate of candidates.filter((c) => c.source !== 'local')) {
      try {
        this.store.say(`pulling ${candidate.name}...`)
        await this.store.pull(candidate.name)
        return candidate
      } catch (error) {
        reasons.push(error instanceof Error ? error.message : String(error))
      }
    }
    const local = candidates.find((c) => c.source === 'local')
    if (local && this.options.build) {
      if (reasons.length > 0)
        this.store.say(`${reasons.join('; ')}: building the local equivalent instead (once; \`loadlab images build\` does it ahead of time)`)
      await this.buildLocal(kind)
      return local
    }
    const hint = local
      ? `run \`loadlab images build\` to build ${local.name} without a registry`
      : `check the name, or set LOADLAB_IMAGES=local to build one without a registry`
    throw new EnvironmentError(`no ${kind} image: ${reasons.join('; ') || `${candidates.map((c) => c.name).join(' / ')} not present`}; ${hint}`)
  }

  private async buildDebian(force: boolean): Promise<'built' | 'up to date'> {
    const mirrors = machineDebianMirrors()
    const sources = imageSourcesList(mirrors)
    const inputs = createHash('sha256').update(`${DEBIAN_SUITE}\n${sources}`).digest('hex').slice(0, 16)
    const present = await this.store.inspect(LOCAL_DEBIAN_IMAGE)
    // A present base stays unless forced: rebuilding it would rebuild every image on top.
    if (!force && present) return 'up to date'
    if (process.getuid?.() !== 0) {
      throw new EnvironmentError(
        `building ${LOCAL_DEBIAN_IMAGE} runs debootstrap, which needs root: run \`sudo loadlab images build\` once ` +
          '(or use official images from a registry: LOADLAB_IMAGES=official)',
      )
    }
    const debootstrap = findOnPath('debootstrap') ?? ['/usr/sbin/debootstrap', '/sbin/debootstrap'].find((f) => existsSync(f))
    if (!debootstrap) throw new EnvironmentError(`building ${LOCAL_DEBIAN_IMAGE} needs debootstrap: \`apt-get install debootstrap\``)
    this.store.say(`building ${LOCAL_DEBIAN_IMAGE} with debootstrap from ${mirrors.archive} (a few minutes, once)...`)
    const root = mkdtempSync(path.join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'loadlab-debian-'))
    const log = this.store.openLog(LOCAL_DEBIAN_IMAGE, 'debootstrap')
    try {
      const code = await runLogged(debootstrap, ['--variant=minbase', DEBIAN_SUITE, root, mirrors.archive], log)
      if (code !== 0) throw new EnvironmentError(`debootstrap failed (exit ${code}):\n${indent(log.lines)}\n  (full log: ${log.file})`)
      writeFileSync(path.join(root, 'etc/apt/sources.list'), sources)
      // Package lists and downloaded .debs are stale the moment the image exists.
      spawnSync('sh', ['-c', 'rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb'], { cwd: root })
      const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] })
      await this.store.importRootfs(tar.stdout, LOCAL_DEBIAN_IMAGE, { [LABEL_INPUTS]: inputs })
    } finally {
      log.stream.end()
      rmSync(root, { recursive: true, force: true })
    }
    return 'built'
  }

  /** A toxiproxy server binary for the local image: one on this machine, or `go install`ed once. */
  private async toxiproxyServer(): Promise<string> {
    const env = this.options.env ?? process.env
    const candidates = [
      env.LOADLAB_TOXIPROXY_SERVER,
      findOnPath('toxiproxy-server'),
      env.GOBIN ? path.join(env.GOBIN, 'server') : undefined,
      path.join(env.GOPATH ?? path.join(homedir(), 'go'), 'bin', 'server'),
      path.join(IMAGE_LOG_DIR, 'toxiproxy-bin', 'server'),
    ]
    const found = candidates.find((file): file is string => typeof file === 'string' && file !== '' && existsSync(file) && isToxiproxy(file))
    if (found) return found
    const go = findOnPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null)
    if (!go) {
      throw new EnvironmentError(
        `the local toxiproxy image needs a toxiproxy server binary: put toxiproxy-server on PATH (or set LOADLAB_TOXIPROXY_SERVER), or install Go so LoadLab can run \`go install ${TOXIPROXY_MODULE}\``,
      )
    }
    const gobin = path.join(IMAGE_LOG_DIR, 'toxiproxy-bin')
    this.store.say(`building the toxiproxy server: go install ${TOXIPROXY_MODULE} (a few minutes, once)...`)
    const log = this.store.openLog('toxiproxy-server', 'go-install')
    try {
      const code = await runLogged(go, ['install', TOXIPROXY_MODULE], log, { GOBIN: gobin, CGO_ENABLED: '0' })
      if (code !== 0) throw new EnvironmentError(`go install ${TOXIPROXY_MODULE} failed (exit ${code}):\n${indent(log.lines)}\n  (full log: ${log.file})`)
    } finally {
      log.stream.end()
    }
    return path.join(gobin, 'server')
  }

  /** Removes older builds of the same CRM image (in use ones stay: Docker refuses them). */
  private async pruneOldCrmImages(runtime: CrmRuntime, keep: string): Promise<void> {
    const repo = CRM_IMAGE_REPOS[runtime]
    const images = await this.store.docker.listImages({ filters: { reference: [repo] } })
    for (const image of images) {
      if ((image.RepoTags ?? []).includes(keep)) continue
      for (const tag of image.RepoTags ?? [])
        await this.store.docker
          .getImage(tag)
          .remove()
          .catch(() => undefined)
    }
  }
}

/** Runs a command with its output going to an operation log; resolves with its exit code. */
function runLogged(command: string, args: string[], log: OperationLog, env: Record<string, string> = {}): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    child.stdout.on('data', (chunk: Buffer) => log.write(chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => log.write(chunk.toString()))
    child.once('error', reject)
    child.once('exit', resolve)
  })
}

/** A file named `server` could be anything: ask it whether it is toxiproxy. */
function isToxiproxy(file: string): boolean {
  if (path.basename(file) !== 'server') return true
  const out = spawnSync(file, ['-version'], { encoding: 'utf8', timeout: 5_000 })
  return /toxiproxy/i.test(`${out.stdout ?? ''}${out.stderr ?? ''}`)
}

/** The broker's jars for the local Kafka image: those the local environment runs (an EnvironmentError naming the command that fetches them when missing). */
function kafkaJarFiles(): string[] {
  const dir = path.dirname(kafkaClassPath())
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => path.join(dir, f))
}
