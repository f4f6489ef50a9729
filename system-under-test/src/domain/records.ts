// The CRM's records as they are stored and returned by the API. Child records (contacts, deals,
// activities) carry their customer's id: it is the partition key, so a customer and everything
// that belongs to it live on one shard.

export const SEGMENTS = ['smb', 'mid-market', 'enterprise'] as const
export type Segment = (typeof SEGMENTS)[number]

export const DEAL_STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const
export type DealStage = (typeof DEAL_STAGES)[number]
/** Stages that count as "open" in the 360 view. */
export const OPEN_DEAL_STAGES: readonly DealStage[] = ['lead', 'qualified', 'proposal', 'negotiation']

export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'note', 'task'] as const
export type ActivityType = (typeof ACTIVITY_TYPES)[number]

export interface Customer {
  /** Time-ordered id derived from createdAt (see customer-id.ts): range partitions follow time. */
  id: string
  name: string
  email: string
  company: string
  segment: Segment
  createdAt: string
  updatedAt: string
  /** 1 on create, incremented on every update: lets clients detect stale reads. */
  version: number
}

export interface Contact {
  id: string
  customerId: string
  name: string
  email: string
  phone: string | null
  role: string | null
  createdAt: string
}

export interface Deal {
  id: string
  customerId: string
  title: string
  amount: number
  currency: string
  stage: DealStage
  createdAt: string
  updatedAt: string
}

export interface Activity {
  id: string
  customerId: string
  type: ActivityType
  /** When the activity happened (client-supplied or now). */
  at: string
  note: string
  createdAt: string
}
