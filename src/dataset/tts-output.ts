import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {SAMPLE_RATE, encodeWav16} from '../audio/index.js'
import {existingFolder, writeDirAtomic} from '../util/atomic.js'
import {UserError, describeError} from '../util/errors.js'
import {engineOf, type ClipSettings, type EngineName, type Speaker, type TrimOptions, type VoiceChoice} from './tts.js'
import {normalizeWord} from './wordlists.js'

/**
 * Writing TTS clips to disk: `DIR/NNNNN.wav` (44.1 kHz, 16-bit mono) plus
 * `DIR/manifest.jsonl`, one line per clip. A run that uses svox or gnuspeech
 * names each clip's engine (and its tract); an espeak-only run writes the rows
 * it always wrote, so existing recipes give the same bytes. With several groups (several
 * words) each gets a subfolder named after its word, which is the `--words`
 * vocabulary layout `rnn-wake synthesize` reads.
 *
 * The whole output directory is built under a temporary name and renamed into
 * place at the end, so it appears complete or not at all.
 */

/** One folder of clips: `folder` is '' for the output directory itself. */
export interface ClipGroup {
  folder: string
  clips: readonly ClipSettings[]
}

/** One line of manifest.jsonl. */
export interface ManifestRow {
  file: string
  text: string
  /** Present when the run used svox or gnuspeech; absent means espeak. */
  engine?: EngineName
  voice: string
  variant: string
  /** Units per engine: see ClipSettings. */
  rate: number
  pitch: number
  /** svox and gnuspeech: vocal tract length, % of the voice's own. */
  tract?: number
  /** Seconds, after trimming. */
  duration: number
  samples: number
}

export interface WriteOptions {
  /** Replace an existing output directory (only once the new one is complete). */
  force?: boolean
  trim?: TrimOptions | false
  /** Called after each clip with the number written so far. */
  onClip?: (done: number) => void
}

export interface WriteSummary {
  out: string
  clips: number
  folders: string[]
  /** Seconds of audio written. */
  seconds: number
}

/**
 * A word's folder name: the word in lower case with single spaces, so it
 * reads as the word in transcripts ("hey jarvis"); path separators become '-'
 * and leading dots are dropped (a dot folder would be hidden, and skipped).
 */
export function folderName(word: string): string {
  return normalizeWord(word).replace(/[/\\\0]/g, '-').replace(/^\.+/, '') || 'word'
}

/** NNNNN: five digits, more if the folder holds over 99,999 clips. */
function fileName(index: number, total: number): string {
  return `${String(index).padStart(Math.max(5, String(total - 1).length), '0')}.wav`
}

async function checkTarget(out: string, force: boolean): Promise<void> {
  if ((await existingFolder(out)) === undefined) return
  if (!force) throw new UserError(`Cannot write ${out}: it already exists; pass --force to replace it (the old folder is removed only once the new one is complete)`, 'output')
}

/** Render every clip with `engine` and write the groups under `out` atomically. */
export async function writeTtsClips(out: string, groups: readonly ClipGroup[], engine: Speaker, options: WriteOptions = {}): Promise<WriteSummary> {
  const folders = groups.map((g) => g.folder)
  const duplicate = folders.find((f, i) => folders.indexOf(f) !== i)
  if (duplicate !== undefined) throw new UserError(`Two words share the folder name "${duplicate}": give each word once`, 'usage')
  await checkTarget(out, options.force ?? false)
  const nameEngines = groups.some((g) => g.clips.some((c) => engineOf(c) !== 'espeak'))
  let done = 0
  let samples = 0
  await writeDirAtomic(out, async (tmp) => {
    for (const group of groups) {
      const dir = join(tmp, group.folder)
      await mkdir(dir, {recursive: true})
      const rows: string[] = []
      for (let i = 0; i < group.clips.length; i++) {
        const clip = engine.speak(group.clips[i], options.trim ?? {})
        const file = fileName(i, group.clips.length)
        await writeFile(join(dir, file), encodeWav16(clip.samples))
        const row: ManifestRow = {
          file,
          text: clip.text,
          ...(nameEngines ? {engine: engineOf(clip)} : {}),
          voice: clip.voice,
          variant: clip.variant,
          rate: clip.rate,
          pitch: clip.pitch,
          ...(clip.tract === undefined ? {} : {tract: clip.tract}),
          duration: Math.round(clip.duration * 1e6) / 1e6,
          samples: clip.samples.length,
        }
        rows.push(JSON.stringify(row))
        samples += clip.samples.length
        done++
        options.onClip?.(done)
      }
      await writeFile(join(dir, 'manifest.jsonl'), rows.join('\n') + '\n')
    }
  }).catch((error: unknown) => {
    if (error instanceof UserError) throw error
    throw new UserError(`Cannot write ${out}: ${describeError(error)}`, 'output')
  })
  return {out, clips: done, folders, seconds: samples / SAMPLE_RATE}
}

/**
 * How many voices the clips were drawn from, in words: "831 voices (espeak
 * accent + speaker pairs)", or "838 voices (espeak 831, svox 2, gnuspeech 5)".
 */
export function describeVoicePool(pool: readonly VoiceChoice[]): string {
  const counts = new Map<string, number>()
  for (const choice of pool) counts.set(engineOf(choice), (counts.get(engineOf(choice)) ?? 0) + 1)
  const parts = [...counts].map(([engine, n]) => `${engine} ${n}`)
  const what = counts.size === 1 && counts.has('espeak') ? 'espeak accent + speaker pairs' : parts.join(', ')
  return `${pool.length} voice${pool.length === 1 ? '' : 's'} (${what})`
}
