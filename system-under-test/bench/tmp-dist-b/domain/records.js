// The CRM's records as they are stored and returned by the API. Child records (contacts, deals,
// activities) carry their customer's id: it is the partition key, so a customer and everything
// that belongs to it live on one shard.
export const SEGMENTS = ['smb', 'mid-market', 'enterprise'];
export const DEAL_STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'];
/** Stages that count as "open" in the 360 view. */
export const OPEN_DEAL_STAGES = ['lead', 'qualified', 'proposal', 'negotiation'];
export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'note', 'task'];
//# sourceMappingURL=records.js.map