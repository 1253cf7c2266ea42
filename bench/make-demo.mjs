// Makes the quickstart's demo clip, data/demo/activate-demo.wav: 10 s of a
// quiet room with "activate" said twice among other words, each time followed
// by a command ("lights on", "play music") for the CTC head, all spoken by the
// embedded espeak-ng (no recordings), plus data/demo/activate-demo.json with
// where each word was placed. Deterministic: re-running rewrites the same bytes.
// Usage: npm run build && node bench/make-demo.mjs
import {writeFileSync, mkdirSync} from 'node:fs'

import {encodeWav16} from '../dist/src/audio/write.js'
import {synthesizeWord} from '../dist/src/dataset/tts.js'
import {deriveRng} from '../dist/src/dataset/rng.js'

const RATE = 44_100
// Placed one after another: `at` is the pause before the word, in seconds.
const words = [
  {text: 'hello', at: 0.5, voice: 'en-gb-x-rp', variant: 'm3'},
  {text: 'activate', at: 0.9, voice: 'en-us', variant: 'f2'},
  {text: 'lights', at: 0.15, voice: 'en-us', variant: 'f2'},
  {text: 'on', at: 0.1, voice: 'en-us', variant: 'f2'},
  {text: 'weather', at: 1.3, voice: 'en-gb-x-rp', variant: 'm3'},
  {text: 'activate', at: 1.1, voice: 'en-us', variant: 'f2'},
  {text: 'play', at: 0.15, voice: 'en-us', variant: 'f2'},
  {text: 'music', at: 0.1, voice: 'en-us', variant: 'f2'},
]

const rng = deriveRng('demo-background', 1)
const mix = new Float64Array(10 * RATE)
// Room tone: low-passed noise plus a faint 50 Hz hum.
let state = 0
for (let i = 0; i < mix.length; i++) {
  state = 0.97 * state + 0.03 * (rng.next() - 0.5)
  mix[i] = 2500 * state + 40 * Math.sin((2 * Math.PI * 50 * i) / RATE)
}
const placed = []
let cursor = 0
for (const w of words) {
  const clip = await synthesizeWord(w.text, {voice: w.voice, variant: w.variant, rate: 150, pitch: 50})
  const start = cursor + Math.round(w.at * RATE)
  cursor = start + clip.length
  for (let i = 0; i < clip.length && start + i < mix.length; i++) mix[start + i] += clip[i]
  placed.push({word: w.text, voice: `${w.voice}+${w.variant}`, startSec: start / RATE, endSec: (start + clip.length) / RATE})
}
// -20 dBFS, as the course's examples.
let sum = 0
for (const v of mix) sum += v * v
const gain = (32768 * 10 ** (-20 / 20)) / Math.sqrt(sum / mix.length)
for (let i = 0; i < mix.length; i++) mix[i] *= gain

mkdirSync('data/demo', {recursive: true})
writeFileSync('data/demo/activate-demo.wav', encodeWav16(mix))
writeFileSync('data/demo/activate-demo.json', JSON.stringify({about: 'made by bench/make-demo.mjs with the embedded espeak-ng', words: placed}, null, 2) + '\n')
console.log(placed.map((p) => `${p.word} ${p.startSec.toFixed(2)}-${p.endSec.toFixed(2)} s`).join('\n'))
