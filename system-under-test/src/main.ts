#!/usr/bin/env node
// The system under test's one executable: `node system-under-test/dist/main.js <role> [flags]`.
// Each role's module is loaded only when chosen, so a replica does not pay for the balancer's code.

const ROLES = {
  shard: {
    about: 'an embedded shard server (in-memory store over HTTP)',
    run: async (argv: string[]) => (await import('./storage/shard-cli.js')).runShardCli(argv),
  },
  replica: { about: 'a CRM replica (REST API) over shards', run: async (argv: string[]) => (await import('./replica/replica-cli.js')).runReplicaCli(argv) },
  downstream: {
    about: 'another system keeping a copy of the customers (sync strategies)',
    run: async (argv: string[]) => (await import('./downstream/downstream-cli.js')).runDownstreamCli(argv),
  },
  balancer: { about: 'a load balancer in front of replicas', run: async (argv: string[]) => (await import('./balancer/balancer-cli.js')).runBalancerCli(argv) },
} as const

type Role = keyof typeof ROLES

function usage(): string {
  const lines = Object.entries(ROLES).map(([role, { about }]) => `  ${role.padEnd(9)} ${about}`)
  return ['Usage: node system-under-test/dist/main.js <role> [flags]', '', 'Roles:', ...lines, '', 'Run `<role> --help` for the flags of a role.', ''].join(
    '\n',
  )
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2)
  if (role === '--help' || role === '-h' || role === 'help') {
    process.stdout.write(usage())
    return
  }
  if (role === undefined || !Object.hasOwn(ROLES, role)) {
    process.stderr.write(
      `${role === undefined ? 'error: no role given' : `error: unknown role "${role}"`}: use one of ${Object.keys(ROLES).join(', ')}\n\n${usage()}`,
    )
    process.exit(2)
  }
  await ROLES[role as Role].run(rest)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
