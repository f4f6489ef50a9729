import { InvalidArgumentError, Option } from 'commander'
import type { CapacityOptions } from '../capacity/capacity-model.js'
import { DEFAULT_CAPACITY, parseServiceTime } from '../capacity/create-capacity-model.js'
import { intFlag } from './flag-parsers.js'

// The capacity flags (--service-time, --slots, --queue-limit) that the shard and the replica
// both take, with the same defaults and the same meaning (src/contract/CONTRACT.md).

/** The parsed values of the capacity flags, as commander names them. */
export interface CapacityFlags {
  serviceTime: CapacityOptions['serviceTime']
  slots: number
  queueLimit: number
}

const serviceTimeFlag = (text: string): CapacityOptions['serviceTime'] => {
  try {
    return parseServiceTime(text)
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error))
  }
}

/** The options to add to a role's command, in help order. */
export function capacityOptions(): Option[] {
  return [
    new Option('--service-time <model>', 'emulated service time: off, constant:<ms> or exp:<ms>')
      .default(DEFAULT_CAPACITY.serviceTime, 'off')
      .argParser(serviceTimeFlag),
    new Option('--slots <n>', 'requests served at once by the capacity model').default(DEFAULT_CAPACITY.slots).argParser(intFlag('--slots', 1)),
    new Option('--queue-limit <n>', 'requests allowed to wait for a slot; more get 503')
      .default(DEFAULT_CAPACITY.queueLimit)
      .argParser(intFlag('--queue-limit', 0)),
  ]
}

/** The capacity model's options from the parsed flags. */
export function capacityFromFlags(flags: CapacityFlags): CapacityOptions {
  return { ...DEFAULT_CAPACITY, serviceTime: flags.serviceTime, slots: flags.slots, queueLimit: flags.queueLimit }
}
