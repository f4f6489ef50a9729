import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

// Debian's Chromium, driven by playwright-core (a browser download cannot work on these machines).
// The flags keep it from reaching for the network at start, which this machine's closed network
// would refuse many times over.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run \`apt-get install chromium\` (CI does this in .ci/run), or set CHROMIUM_PATH`)
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
