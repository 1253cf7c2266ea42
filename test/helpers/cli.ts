import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Run the built CLI (dist/, built by `npm test`'s pretest) as a user would. */
export function runCli(args: string[], options: {cwd?: string; input?: string; env?: NodeJS.ProcessEnv; timeout?: number} = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    env: {...process.env, ...options.env},
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
  })
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}
