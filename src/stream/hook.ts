import {spawn} from 'node:child_process'

import type {Detection, Transcript} from './transcript.js'

/** What `listen --exec` hands its command, besides the inherited environment. */
export function hookEnvironment(word: string, detection: Detection, transcript: Transcript | undefined, wallClock: Date): Record<string, string> {
  return {
    RNN_WAKE_WORD: word,
    RNN_WAKE_SCORE: detection.score.toFixed(4),
    RNN_WAKE_TIME: detection.seconds.toFixed(3),
    RNN_WAKE_WALL_TIME: wallClock.toISOString(),
    RNN_WAKE_INDEX: String(detection.index),
    RNN_WAKE_TRANSCRIPT: transcript?.text ?? '',
  }
}

export interface HookResult {
  command: string
  /** Exit code, or null when killed by a signal. */
  code: number | null
  error?: string
}

/**
 * Run `command` through the shell with `env` added. The command's stdout goes
 * to `stdout` (the caller sends it to stderr when its own stdout carries
 * JSON); stdin is closed. Resolves when it exits, never rejects.
 */
export function runHook(command: string, env: Record<string, string>, stdout: 'inherit' | 'stderr'): Promise<HookResult> {
  return new Promise((resolve) => {
    const child = spawn(command, {
      shell: true,
      env: {...process.env, ...env},
      stdio: ['ignore', stdout === 'inherit' ? 'inherit' : process.stderr, 'inherit'],
    })
    child.on('error', (error) => resolve({command, code: null, error: error.message}))
    child.on('close', (code) => resolve({command, code}))
  })
}
