// What the CRM service and the harness agree on (CONTRACT.md explains it). The harness imports
// this module as `#crm-contract`; the service imports its files directly.

export * from './http-contract.js'
export * from './http-routes.js'
export * from './metric-names.js'
export * from './ready-lines.js'
export * from './role-flags.js'
export * from './strategy-names.js'
