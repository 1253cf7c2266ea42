import wavefile from 'wavefile'

import {writeFileAtomic} from '../util/atomic.js'
import {SAMPLE_RATE} from './read.js'

/** Round to int16 with saturation: samples in int16 units may overshoot after mixing. */
export function toInt16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length)
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i])
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v
  }
  return out
}

/** A 16-bit PCM mono WAV file in memory. */
export function encodeWav16(samples: ArrayLike<number>, sampleRate = SAMPLE_RATE): Uint8Array {
  const wav = new wavefile.WaveFile()
  wav.fromScratch(1, sampleRate, '16', toInt16(samples))
  return wav.toBuffer()
}

export async function writeWav16(path: string, samples: ArrayLike<number>, sampleRate = SAMPLE_RATE): Promise<void> {
  await writeFileAtomic(path, encodeWav16(samples, sampleRate))
}
