import type { SeededRandom } from '../random/seeded-random.js'

// Deterministic, plausible CRM data drawn from a seed. Kept in the harness (not imported from
// system-under-test) because the harness also drives external targets and builds on its own.

export const FIRST_NAMES = [
  'Alice',
  'Amir',
  'Ana',
  'Ben',
  'Bianca',
  'Carlos',
  'Chen',
  'Clara',
  'Dmitri',
  'Dana',
  'Elena',
  'Emeka',
  'Fatima',
  'Felix',
  'Grace',
  'Hana',
  'Hugo',
  'Ines',
  'Ivan',
  'Jamal',
  'Jonas',
  'Julia',
  'Kai',
  'Kenji',
  'Laura',
  'Leon',
  'Lucia',
  'Marco',
  'Maya',
  'Mohammed',
  'Nadia',
  'Noah',
  'Olga',
  'Omar',
  'Paula',
  'Pedro',
  'Priya',
  'Quentin',
  'Rosa',
  'Ravi',
  'Sara',
  'Sven',
  'Tariq',
  'Tomas',
  'Uma',
  'Victor',
  'Wei',
  'Xenia',
  'Yara',
  'Yusuf',
  'Zoe',
  'Zeynep',
] as const

export const LAST_NAMES = [
  'Adams',
  'Almeida',
  'Berg',
  'Brown',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jansen',
  'Kowalski',
  'Kumar',
  'Larsen',
  'Lopez',
  'Martin',
  'Mensah',
  'Nakamura',
  'Novak',
  'Okafor',
  'Petrov',
  'Quinn',
  'Rossi',
  'Schmidt',
  'Silva',
  'Tanaka',
  'Usman',
  'Virtanen',
  'Wang',
  'Weber',
  'Yilmaz',
  'Zhang',
] as const

const COMPANY_WORDS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Hooli',
  'Vandelay',
  'Tyrell',
  'Soylent',
  'Cyberdyne',
  'Aperture',
  'Gringotts',
  'Wonka',
  'Oscorp',
]
const COMPANY_SUFFIX = ['Inc', 'GmbH', 'Ltd', 'Group', 'Labs', 'Systems', 'Partners', 'AG', 'SA', 'Co']

/** Same values as system-under-test/src/domain/records.ts (SEGMENTS, ACTIVITY_TYPES). */
export const CUSTOMER_SEGMENTS = ['smb', 'mid-market', 'enterprise'] as const
export const ACTIVITY_KINDS = ['call', 'email', 'meeting', 'note', 'task'] as const
const NOTE_WORDS = [
  'follow',
  'up',
  'pricing',
  'renewal',
  'demo',
  'contract',
  'budget',
  'onboarding',
  'call',
  'back',
  'next',
  'quarter',
  'intro',
  'support',
  'ticket',
]

export interface CustomerInput {
  name: string
  email: string
  company: string
  segment: (typeof CUSTOMER_SEGMENTS)[number]
}

const pick = <T>(rng: SeededRandom, list: readonly T[]): T => list[rng.int(list.length)]!

export function randomCompany(rng: SeededRandom): string {
  return `${pick(rng, COMPANY_WORDS)} ${pick(rng, COMPANY_SUFFIX)}`
}

export function randomSegment(rng: SeededRandom): CustomerInput['segment'] {
  return pick(rng, CUSTOMER_SEGMENTS)
}

/**
 * One customer. `uniqueTag` makes the email unique (emails are unique in the CRM: a duplicate
 * is a 409), e.g. "s42-17" for the 17th seeded customer of seed 42.
 */
export function randomCustomer(rng: SeededRandom, uniqueTag: string): CustomerInput {
  const first = pick(rng, FIRST_NAMES)
  const last = pick(rng, LAST_NAMES)
  return {
    name: `${first} ${last}`,
    email: `${first}.${last}.${uniqueTag}@example.com`.toLowerCase(),
    company: randomCompany(rng),
    segment: randomSegment(rng),
  }
}

/** A 2-3 letter lowercase prefix of a first name: matches both names and emails in search. */
export function randomSearchPrefix(rng: SeededRandom): string {
  const first = pick(rng, FIRST_NAMES)
  return first.slice(0, 2 + rng.int(2)).toLowerCase()
}

export function randomActivity(rng: SeededRandom): { type: (typeof ACTIVITY_KINDS)[number]; note: string } {
  const words = 3 + rng.int(5)
  const note: string[] = []
  for (let i = 0; i < words; i++) note.push(pick(rng, NOTE_WORDS))
  return { type: pick(rng, ACTIVITY_KINDS), note: note.join(' ') }
}
