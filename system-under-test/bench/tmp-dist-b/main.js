#!/usr/bin/env node
// The system under test's one executable: `node system-under-test/dist/main.js <role> [flags]`.
// Each role's module is loaded only when chosen, so a replica does not pay for the balancer's code.
const ROLES = {
    shard: { about: 'an embedded shard server (in-memory store over HTTP)', run: async (argv) => (await import('./storage/shard-cli.js')).runShardCli(argv) },
    replica: { about: 'a CRM replica (REST API) over shards', run: async (argv) => (await import('./replica/replica-cli.js')).runReplicaCli(argv) },
    balancer: { about: 'a load balancer in front of replicas', run: async (argv) => (await import('./balancer/balancer-cli.js')).runBalancerCli(argv) },
};
function usage() {
    const lines = Object.entries(ROLES).map(([role, { about }]) => `  ${role.padEnd(9)} ${about}`);
    return ['Usage: node system-under-test/dist/main.js <role> [flags]', '', 'Roles:', ...lines, '', 'Run `<role> --help` for the flags of a role.', ''].join('\n');
}
async function main() {
    const [role, ...rest] = process.argv.slice(2);
    if (role === '--help' || role === '-h' || role === 'help') {
        process.stdout.write(usage());
        return;
    }
    if (role === undefined || !Object.hasOwn(ROLES, role)) {
        process.stderr.write(`${role === undefined ? 'error: no role given' : `error: unknown role "${role}"`}: use one of ${Object.keys(ROLES).join(', ')}\n\n${usage()}`);
        process.exit(2);
    }
    await ROLES[role].run(rest);
}
main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
export {};
//# sourceMappingURL=main.js.map