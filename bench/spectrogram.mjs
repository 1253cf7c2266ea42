// Times the 10 s spectrogram against a NumPy implementation of the same
// formula, in the same run, and writes the ratio to bench/RESULTS.md.
// Usage: npm run build && node bench/spectrogram.mjs [repeats]
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {readAudio} from '../dist/src/audio/read.js'
import {encodeWav16} from '../dist/src/audio/write.js'
import {spectrogram} from '../dist/src/features/spectrogram.js'
import {machine, writeSection} from './lib/results.mjs'

const repeats = Number(process.argv[2] ?? 30)
const shared = new URL('../../shared/data/course/examples/example_train.wav', import.meta.url).pathname
let clip = shared
if (!existsSync(shared)) {
  // Without ../shared: 10 s of deterministic noise, same length and format.
  let s = 1
  const x = Float64Array.from({length: 441_000}, () => ((s = (s * 48271) % 2147483647) / 2147483647 - 0.5) * 20000)
  clip = join(mkdtempSync(join(tmpdir(), 'bench-')), 'noise10s.wav')
  writeFileSync(clip, encodeWav16(x))
}
const audio = await readAudio(clip)

function bestOf(n, fn) {
  let best = Infinity
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    fn()
    best = Math.min(best, performance.now() - t)
  }
  return best
}

function runNumpy() {
  const r = spawnSync('python3', [new URL('./spectrogram_numpy.py', import.meta.url).pathname, clip, String(repeats)], {encoding: 'utf8'})
  if (r.status !== 0) return null
  return JSON.parse(r.stdout).best_ms
}

spectrogram(audio.samples) // warm-up (JIT)
// Interleave the two so that machine load affects both alike.
const js = []
const np = []
for (let round = 0; round < 3; round++) {
  js.push(bestOf(repeats, () => spectrogram(audio.samples)))
  const n = runNumpy()
  if (n !== null) np.push(n)
}
const jsMs = Math.min(...js)
const audioMs = (audio.samples.length / 44100) * 1000
const lines = [
  `## Spectrogram of a 10 s clip (5511 x 101)`,
  ``,
  `Command: \`npm run build && node bench/spectrogram.mjs ${repeats}\` on ${existsSync(shared) ? 'the course clip example_train.wav' : '10 s of noise'}.`,
  `Machine: ${machine()}.`,
  ``,
  `| implementation | best of ${repeats} x 3 (ms) | faster than real time |`,
  `| --- | --- | --- |`,
  `| rnn-wake (real split + mixed-radix 4x5x5 FFT) | ${jsMs.toFixed(2)} | ${(audioMs / jsMs).toFixed(0)}x |`,
]
if (np.length) {
  const npMs = Math.min(...np)
  lines.push(`| NumPy rfft (same formula) | ${npMs.toFixed(2)} | ${(audioMs / npMs).toFixed(0)}x |`)
  lines.push(``, `Ratio rnn-wake / NumPy: **${(jsMs / npMs).toFixed(2)}** (goal <= 1.0). Goal of >= 300x real time: ${audioMs / jsMs >= 300 ? 'met' : 'not met'}.`)
} else {
  lines.push(``, `NumPy not available (python3 with numpy): ratio not measured.`)
}
writeSection('spectrogram', lines.join('\n'))
console.log(lines.join('\n'))
