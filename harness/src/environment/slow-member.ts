import { SLOWDOWN_PATH } from '#crm-contract'
import { request } from 'undici'
import { adminHeaders, EnvironmentError, type Member } from './environment.js'

/**
 * The `slow` fault, in every environment: asks a CRM member (a replica or an embedded shard) to
 * multiply its service time by `factor`. Which members have a service-time model is the
 * environment's to check first. Returns the fault's detail for the results.
 */
export async function slowMember(member: Pick<Member, 'name' | 'url'>, factor: number, adminToken: string | undefined): Promise<string> {
  const res = await request(new URL(SLOWDOWN_PATH, member.url), {
    method: 'POST',
    headers: adminHeaders(adminToken),
    body: JSON.stringify({ factor }),
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  })
  await res.body.text()
  if (res.statusCode !== 200) throw new EnvironmentError(`fault slow: ${member.name} answered ${res.statusCode}`)
  return `service time x${factor}`
}
