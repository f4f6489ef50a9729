import { InvalidArgumentError, type Command } from 'commander'
import { dockerRuntime } from '../environment/containers/docker-runtime.js'
import {
  BASE_IMAGE_KINDS,
  CRM_IMAGE_REPOS,
  imageCandidates,
  imagePreference,
  LOCAL_DEBIAN_IMAGE,
  type BaseImageKind,
  type CrmRuntime,
} from '../environment/containers/image-catalog.js'
import { ImageResolver } from '../environment/containers/image-resolver.js'
import { ImageStore } from '../environment/containers/image-store.js'

const BUILD_KINDS = ['debian', ...BASE_IMAGE_KINDS, 'crm'] as const
type BuildKind = (typeof BUILD_KINDS)[number]

export interface ImageStatus {
  kind: string
  /** What a run would use now, or null when it would have to pull or build first. */
  use: { name: string; source: string } | null
  /** Every candidate with whether Docker has it. */
  candidates: Array<{ name: string; source: string; present: boolean }>
}

/** Which image each kind would use on this machine (no pulls, no builds). Used by `images list` and `doctor`. */
export async function imageStatus(): Promise<ImageStatus[]> {
  const { docker } = await dockerRuntime()
  const store = new ImageStore(docker)
  const preference = imagePreference()
  const out: ImageStatus[] = []
  for (const kind of BASE_IMAGE_KINDS) {
    const candidates = await Promise.all(
      imageCandidates(kind, preference).map(async (c) => ({ name: c.name, source: c.source, present: await store.has(c.name) })),
    )
    const use = candidates.find((c) => c.present) ?? null
    out.push({ kind, use: use ? { name: use.name, source: use.source } : null, candidates })
  }
  const crm = (await docker.listImages({ filters: { reference: Object.values(CRM_IMAGE_REPOS) } })).flatMap((i) => i.RepoTags ?? [])
  out.push({ kind: 'crm', use: crm[0] ? { name: crm.join(', '), source: 'built here' } : null, candidates: [] })
  return out
}

/**
 * `loadlab images build [kinds...]`: builds the registry-free images (Debian via debootstrap, then
 * redis, memcached, rabbitmq, kafka, postgres, haproxy, nginx, toxiproxy, Node and the CRM service). Builds are cached: an
 * image whose inputs did not change is kept (--force rebuilds).
 */
export async function buildImages(kinds: readonly BuildKind[], force: boolean, say: (line: string) => void): Promise<void> {
  const { docker } = await dockerRuntime()
  const resolver = new ImageResolver(new ImageStore(docker, say), { preference: imagePreference(), build: true })
  const wanted = kinds.length > 0 ? kinds : BUILD_KINDS
  for (const kind of BUILD_KINDS.filter((k) => wanted.includes(k))) {
    if (kind === 'crm') {
      const node = await resolver.base('node')
      for (const runtime of Object.keys(CRM_IMAGE_REPOS) as CrmRuntime[]) {
        const base = runtime === 'node' ? node : await resolver.base(runtime)
        const image = await resolver.buildCrm(runtime, node, base, force)
        say(`ok  ${image.name} (on ${base.name})`)
      }
      continue
    }
    const started = Date.now()
    // Rebuilding the Debian base rebuilds everything on it: only when asked for by name.
    const outcome = await resolver.buildLocal(kind as BaseImageKind | 'debian', force && (kind !== 'debian' || kinds.includes('debian')))
    const name = kind === 'debian' ? LOCAL_DEBIAN_IMAGE : imageCandidates(kind as BaseImageKind, 'local', {})[0].name
    say(`ok  ${name}: ${outcome}${outcome === 'built' ? ` in ${Math.round((Date.now() - started) / 1000)} s` : ''}`)
  }
}

function parseKinds(value: string, previous: BuildKind[] = []): BuildKind[] {
  if (!(BUILD_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`"${value}" is not an image kind: use ${BUILD_KINDS.join(', ')}`)
  }
  return [...previous, value as BuildKind]
}

/** Registers `images build` and `images list`. */
export function registerImagesCommand(program: Command, setExit: (code: number) => void): void {
  const images = program.command('images').description('the container images of the containers environment')
  images
    .command('build')
    .description(`build the registry-free images (${BUILD_KINDS.join(', ')}); cached: unchanged inputs are not rebuilt`)
    .argument('[kinds...]', 'which images (default: all)', parseKinds)
    .option('--force', 'rebuild even when the inputs did not change (the Debian base only when named)')
    .action(async (kinds: BuildKind[] | undefined, opts: { force?: boolean }) => {
      await buildImages(kinds ?? [], opts.force === true, (line) => process.stderr.write(`${line}\n`))
      setExit(0)
    })
  images
    .command('list')
    .description('which image each kind of member would run, and which are present')
    .action(async () => {
      const status = await imageStatus()
      const lines = status.map((s) => {
        const use = s.use ? `${s.use.name} (${s.use.source})` : 'none present: a run pulls or builds one'
        const others = s.candidates.filter((c) => c.name !== s.use?.name).map((c) => `${c.name} ${c.present ? 'present' : 'absent'}`)
        return `${s.kind.padEnd(10)} ${use}${others.length > 0 ? `   [${others.join(', ')}]` : ''}`
      })
      process.stdout.write(`${lines.join('\n')}\n`)
      setExit(0)
    })
}
