// Time per clip and a sanity check of the clips of each `rnn-wake tts --engine`:
// COUNT clips (default 20) of one word (default "computer") per engine, planned as
// the command plans them (seed 1), rendered one after another in this process.
// Reports the engine's start-up, the time per clip (rendering, resampling, trimming),
// the trimmed durations (one word should last 0.3-1.5 s), the peaks, clipped
// samples (|x| >= 32767) and the median pitch (autocorrelation over voiced 40 ms frames).
// Prints a markdown section for bench/RESULTS.md (--write puts it there).
//
// Usage: npm run build && node bench/tts-engines.mjs [--count 20] [--word computer] [--write]
import os from 'node:os'

import {TtsEngines} from '../dist/src/dataset/tts-engines.js'
import {planWord} from '../dist/src/dataset/tts.js'
import {machine, writeSection} from './lib/results.mjs'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const count = Number(option('count', '20'))
const word = option('word', 'computer')
const RATE = 44_100

/** Median F0 (Hz) over frames within 10 dB of the loudest, by normalized autocorrelation, 60-400 Hz. */
function medianPitch(x) {
  const frame = Math.round(0.04 * RATE)
  const hop = Math.round(0.01 * RATE)
  const energies = []
  for (let s = 0; s + frame <= x.length; s += hop) {
    let e = 0
    for (let i = s; i < s + frame; i++) e += x[i] * x[i]
    energies.push(e)
  }
  const loudest = Math.max(...energies)
  const f0 = []
  for (let f = 0; f < energies.length; f++) {
    if (energies[f] < 0.1 * loudest) continue
    const s = f * hop
    let best = 0
    let lag = 0
    for (let k = Math.floor(RATE / 400); k <= Math.ceil(RATE / 60); k++) {
      let c = 0
      for (let i = s; i < s + frame - k; i++) c += x[i] * x[i + k]
      if (c > best) [best, lag] = [c, k]
    }
    if (best > 0.4 * energies[f]) f0.push(RATE / lag)
  }
  f0.sort((a, b) => a - b)
  return f0.length ? f0[f0.length >> 1] : NaN
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]
const rows = []
for (const name of ['espeak', 'svox', 'gnuspeech']) {
  let t = performance.now()
  const engines = await TtsEngines.load([name])
  const startup = performance.now() - t
  const plans = planWord(word, count, engines.selectVoices(), {seed: 1})
  const durations = []
  const peaks = []
  const pitches = []
  let clipped = 0
  t = performance.now()
  const clips = plans.map((p) => engines.speak(p))
  const perClip = (performance.now() - t) / count
  for (const c of clips) {
    durations.push(c.duration)
    let peak = 0
    for (const v of c.samples) {
      const a = Math.abs(Math.round(v))
      if (a >= 32767) clipped++
      if (a > peak) peak = a
    }
    peaks.push(20 * Math.log10(peak / 32768))
    pitches.push(medianPitch(c.samples))
  }
  const implausible = durations.filter((d) => d < 0.3 || d > 1.5).length
  const f = (x, digits = 2) => x.toFixed(digits)
  rows.push(
    `| ${name} | ${f(startup / 1000)} | ${f(perClip, 0)} | ${f(Math.min(...durations))} / ${f(quantile(durations, 0.5))} / ${f(Math.max(...durations))} | ${implausible} | ${f(Math.min(...peaks), 1)} / ${f(Math.max(...peaks), 1)} | ${clipped} | ${f(Math.min(...pitches), 0)} / ${f(quantile(pitches, 0.5), 0)} / ${f(Math.max(...pitches), 0)} |`,
  )
}

const markdown = `## TTS engines: time per clip and clip sanity (\`bench/tts-engines.mjs\`)

Command: \`node bench/tts-engines.mjs --count ${count} --word ${word}\` (${count} clips of "${word}" per engine, seed 1, in one process).
Machine: ${machine()}; load average ${os.loadavg()[0].toFixed(2)} at the end (training jobs share the 2 cores: times are upper bounds).

| engine | start-up (s) | ms per clip | duration min / median / max (s) | outside 0.3-1.5 s | peak min / max (dBFS) | clipped samples | pitch min / median / max (Hz) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`
console.log(markdown)
if (args.includes('--write')) writeSection('tts-engines', markdown)
