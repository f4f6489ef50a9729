import { spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'

/**
 * Opens a report in the desktop's browser when there is a desktop (macOS `open`, Windows `start`,
 * Linux `xdg-open` with a DISPLAY or WAYLAND_DISPLAY). On a headless machine (CI, SSH) it says
 * where the file is instead: the report is a plain file and needs no server. Never fails the run.
 */
export function openInBrowser(file: string, say: (line: string) => void = (l) => void process.stdout.write(`${l}\n`)): void {
  const url = pathToFileURL(file).href
  const command: [string, ...string[]] | null =
    process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '', url]
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? ['xdg-open', url]
          : null
  if (!command) {
    say(`No desktop here to open it in: open ${url} in a browser (it works offline, straight from disk).`)
    return
  }
  const child = spawn(command[0], command.slice(1), { stdio: 'ignore', detached: true })
  child.on('error', () => say(`Could not start ${command[0]}: open ${url} in a browser.`))
  child.unref()
  say(`Opening ${url}`)
}
