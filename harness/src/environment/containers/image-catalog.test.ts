import { describe, expect, it } from 'vitest'
import { imageCandidates, imagePreference } from './image-catalog.js'

describe('image choice', () => {
  it('tries the official image, then the local build; a preference narrows it to one', () => {
    expect(imageCandidates('redis', 'auto', {}).map((c) => `${c.name} ${c.source}`)).toEqual(['redis:7-bookworm official', 'loadlab/redis:7 local'])
    expect(imageCandidates('redis', 'official', {}).map((c) => c.name)).toEqual(['redis:7-bookworm'])
    expect(imageCandidates('toxiproxy', 'local', {}).map((c) => c.name)).toEqual(['loadlab/toxiproxy:2.5'])
  })

  it('uses an image the user named, whatever the preference', () => {
    expect(imageCandidates('postgres', 'local', { LOADLAB_IMAGE_POSTGRES: 'registry.example/pg:16' })).toEqual([
      { kind: 'postgres', name: 'registry.example/pg:16', source: 'custom' },
    ])
  })

  it('names the variable and its values when LOADLAB_IMAGES is wrong', () => {
    expect(imagePreference({})).toBe('auto')
    expect(() => imagePreference({ LOADLAB_IMAGES: 'offical' })).toThrow(/LOADLAB_IMAGES="offical" is not one of auto, official, local/)
  })
})
