// Keeps bench/RESULTS.md as one file with a section per benchmark; each run
// replaces its own section (between markers) and leaves the others alone.
import {readFileSync, writeFileSync, renameSync, existsSync} from 'node:fs'
import {execSync} from 'node:child_process'
import os from 'node:os'

const FILE = new URL('../RESULTS.md', import.meta.url).pathname

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu'
  let commit = 'uncommitted'
  try {
    commit = execSync('git rev-parse --short HEAD', {encoding: 'utf8'}).trim()
  } catch {}
  return `${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}, commit ${commit}, ${new Date().toISOString()}`
}

export function writeSection(name, markdown) {
  const start = `<!-- bench:${name} -->`
  const end = `<!-- /bench:${name} -->`
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmark results\n\nEach section is written by the command it names; numbers are from the machine it names.\n'
  const block = `${start}\n${markdown.trim()}\n${end}`
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`
  writeFileSync(FILE + '.tmp', text)
  renameSync(FILE + '.tmp', FILE)
}
