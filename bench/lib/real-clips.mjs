// Real recordings as the real-voice benchmark and the encoder's pretraining both use them.
import {readdir} from 'node:fs/promises'

import {readAudio} from '../../dist/src/audio/index.js'
import {trimSilence} from '../../dist/src/dataset/tts.js'

/** The real-voice benchmark's words (slugs), and the spoken text of each (for "rnn-wake tts"). */
export const WORDS = ['computer', 'smart-mirror', 'snowboy', 'view-glass', 'happy']
export const TEXT = {computer: 'computer', 'smart-mirror': 'smart mirror', snowboy: 'snowboy', 'view-glass': 'view glass', happy: 'happy'}

/** The WAV files of a folder, sorted. */
export async function wavs(dir) {
  return (await readdir(dir)).filter((n) => n.endsWith('.wav')).sort()
}

/**
 * A recording cut to its word (frames within 25 dB of the loudest, +-50 ms, as "rnn-wake tts" trims)
 * at 44.1 kHz, so the labels of a planted word end where it ends; null when under 0.15 s of sound
 * is left (a few recordings are clipped or silent: no word).
 */
export async function wordClip(path) {
  const {samples} = await readAudio(path)
  const trimmed = trimSilence(Float64Array.from(samples), 44_100, {thresholdDb: -25, marginMs: 50})
  return trimmed.length < 0.15 * 44_100 ? null : trimmed
}
