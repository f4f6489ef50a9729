import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

// The local images are Debian bookworm, fetched from the mirror this machine's own apt uses (a
// machine without a container registry usually has a reachable Debian mirror or proxy).

export const DEBIAN_SUITE = 'bookworm'
const DEFAULT_MIRROR = 'http://deb.debian.org/debian'
const DEFAULT_SECURITY = 'http://deb.debian.org/debian-security'

export interface DebianMirrors {
  /** Serves bookworm and bookworm-updates. */
  archive: string
  /** Serves bookworm-security, when the machine lists one. */
  security: string | null
}

interface AptSource {
  uri: string
  suites: string[]
}

/** Parses one-line (`deb URI suite comp...`) and deb822 (`URIs:`/`Suites:` stanzas) apt sources; disabled entries are skipped. */
export function parseAptSources(text: string, deb822: boolean): AptSource[] {
  if (!deb822) {
    return text
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line.startsWith('deb '))
      .map((line) => line.replace(/\[[^\]]*\]\s*/, '').split(/\s+/))
      .filter((words) => words.length >= 3)
      .map((words) => ({ uri: words[1]!, suites: [words[2]!] }))
  }
  const sources: AptSource[] = []
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>()
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line.trim())
      if (match && !line.trimStart().startsWith('#')) fields.set(match[1]!.toLowerCase(), match[2]!)
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean)
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) sources.push({ uri, suites })
  }
  return sources
}

/** Picks the archive and security mirrors for bookworm from the sources; Debian's own when none serves it. */
export function pickDebianMirrors(sources: readonly AptSource[], env: NodeJS.ProcessEnv = process.env): DebianMirrors {
  const fromEnv = env.LOADLAB_DEBIAN_MIRROR?.trim()
  const archive = fromEnv || sources.find((s) => s.suites.includes(DEBIAN_SUITE))?.uri || DEFAULT_MIRROR
  const security = sources.find((s) => s.suites.includes(`${DEBIAN_SUITE}-security`))?.uri ?? (fromEnv ? null : DEFAULT_SECURITY)
  return { archive: archive.replace(/\/+$/, ''), security: security ? security.replace(/\/+$/, '') : null }
}

/** This machine's apt sources (/etc/apt/sources.list and sources.list.d/*.list|*.sources). */
export function machineDebianMirrors(root = '/etc/apt'): DebianMirrors {
  const sources: AptSource[] = []
  const main = path.join(root, 'sources.list')
  if (existsSync(main)) sources.push(...parseAptSources(readFileSync(main, 'utf8'), false))
  const dir = path.join(root, 'sources.list.d')
  if (existsSync(dir)) {
    for (const file of readdirSync(dir).sort()) {
      if (file.endsWith('.list')) sources.push(...parseAptSources(readFileSync(path.join(dir, file), 'utf8'), false))
      if (file.endsWith('.sources')) sources.push(...parseAptSources(readFileSync(path.join(dir, file), 'utf8'), true))
    }
  }
  return pickDebianMirrors(sources)
}

/** The sources.list written into the image, so `apt-get install` in later layers uses the same mirrors. */
export function imageSourcesList(m: DebianMirrors): string {
  const lines = [`deb ${m.archive} ${DEBIAN_SUITE} main`, `deb ${m.archive} ${DEBIAN_SUITE}-updates main`]
  if (m.security) lines.push(`deb ${m.security} ${DEBIAN_SUITE}-security main`)
  return `${lines.join('\n')}\n`
}
