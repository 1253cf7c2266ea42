import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {writeWav16} from '../../src/audio/index.js'
import {noise, tone} from './signals.js'

/**
 * The trainer tests' toy clip folders in `dir`: beeps/ (1 kHz tone bursts, the
 * trigger "beep"), boops/ (3 kHz, the other word) and bg/ (10 s of noise).
 */
export async function writeToyClips(dir: string): Promise<void> {
  for (const [folder, freq] of [
    ['beeps', 1000],
    ['boops', 3000],
  ] as const) {
    await mkdir(join(dir, folder))
    for (let i = 0; i < 4; i++) await writeWav16(join(dir, folder, `${i}.wav`), tone(freq, 0.4, i))
  }
  await mkdir(join(dir, 'bg'))
  await writeWav16(join(dir, 'bg', 'noise.wav'), noise(10, 3000, 7))
}
