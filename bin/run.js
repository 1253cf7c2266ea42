#!/usr/bin/env node
import {flush, handle, run} from '@oclif/core'
import {readdirSync} from 'node:fs'

import {unknownCommandLine} from '../dist/src/util/cli-errors.js'

/** `rnn-wake detcet`: one line with a suggestion (exit 2), not oclif's " ›   Error: command detcet not found". */
function commandNotFound(error) {
  const id = /^command (\S+) not found$/.exec(error?.message ?? '')?.[1]
  if (id === undefined) return false
  // With topics separated by spaces oclif names "detcet x.wav" as "detcet:x.wav": what was typed is the first word.
  const typed = id.split(':')[0]
  const commands = readdirSync(new URL('../dist/commands', import.meta.url)).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3))
  process.stderr.write(`rnn-wake: ${unknownCommandLine(typed, commands)}\n`)
  process.exitCode = 2
  return true
}

try {
  await run(process.argv.slice(2), import.meta.url)
  await flush()
} catch (error) {
  if (!commandNotFound(error)) await handle(error)
}
