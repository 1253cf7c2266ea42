// Write procedural backgrounds (src/dataset/backgrounds.ts) as WAVs, for "rnn-wake synthesize --backgrounds".
// usage: node bench/make-backgrounds.mjs OUT_DIR COUNT SEED [SPEECH_DIR [TRIGGER [SECONDS]]]
// SECONDS (default 10): each background's length; "synthesize" reads a longer one from a random
// offset, so a set of N examples over backgrounds totalling N x 10 s rarely repeats a moment.
// SPEECH_DIR: word clips for the babble; with TRIGGER and the manifest.jsonl "rnn-wake tts" writes,
// words sharing four letters in a row with the trigger (deactivate, captivate, ...) are left out:
// babble is background, and a background must not say the trigger.
import {mkdir, readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {decodeWav, writeWav16} from '../dist/src/audio/index.js'
import {proceduralBackgrounds, soundsLike} from '../dist/src/dataset/backgrounds.js'

const [out, count = '10', seed = '0', speechDir, trigger, seconds = '10'] = process.argv.slice(2)
const speech = []
if (speechDir) {
  let texts = new Map()
  try {
    texts = new Map((await readFile(join(speechDir, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).map((m) => [m.file, m.text]))
  } catch {}
  const names = (await readdir(speechDir)).filter((n) => n.endsWith('.wav')).filter((n) => !trigger || !soundsLike(texts.get(n) ?? '', trigger))
  for (const name of names.slice(0, 300)) {
    const {samples} = decodeWav(new Uint8Array(await readFile(join(speechDir, name))), name)
    let s = 0
    for (const v of samples) s += v * v
    speech.push({word: '', source: name, samples, rms: Math.sqrt(s / samples.length)})
  }
}
await mkdir(out, {recursive: true})
for (const clip of proceduralBackgrounds(Number(count), Number(seed), speech, Number(seconds))) {
  await writeWav16(join(out, `${clip.source.replace(/^procedural\//, '')}.wav`), clip.samples)
}
console.log(`wrote ${count} backgrounds of ${seconds} s to ${out}`)
