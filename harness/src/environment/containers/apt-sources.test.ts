import { describe, expect, it } from 'vitest'
import { imageSourcesList, parseAptSources, pickDebianMirrors } from './apt-sources.js'

describe('the Debian mirror of the local images', () => {
  it("comes from this machine's deb822 sources, security suite included", () => {
    const text = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://mirror.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      '',
      'Types: deb-src',
      'URIs: http://src.example/debian',
      'Suites: bookworm',
    ].join('\n')
    const mirrors = pickDebianMirrors(parseAptSources(text, true), {})
    expect(mirrors).toEqual({ archive: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security' })
    expect(imageSourcesList(mirrors)).toBe(
      'deb http://mirror.example/debian bookworm main\ndeb http://mirror.example/debian bookworm-updates main\ndeb http://mirror.example/debian-security bookworm-security main\n',
    )
  })

  it('reads one-line sources and skips disabled stanzas, options and comments', () => {
    expect(parseAptSources('# deb http://old/ bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://proxy:3142/debian/ bookworm main\n', false)).toEqual([
      { uri: 'http://proxy:3142/debian/', suites: ['bookworm'] },
    ])
    expect(parseAptSources('Types: deb\nURIs: http://off/\nSuites: bookworm\nEnabled: no\n', true)).toEqual([])
  })

  it("falls back to Debian's own mirrors, and LOADLAB_DEBIAN_MIRROR wins over the machine's", () => {
    expect(pickDebianMirrors([{ uri: 'http://ubuntu/', suites: ['noble'] }], {})).toEqual({
      archive: 'http://deb.debian.org/debian',
      security: 'http://deb.debian.org/debian-security',
    })
    expect(pickDebianMirrors([{ uri: 'http://m/debian', suites: ['bookworm'] }], { LOADLAB_DEBIAN_MIRROR: 'http://near/debian/' }).archive).toBe(
      'http://near/debian',
    )
  })
})
