// Soak test of `listen --input` over an hour of audio the project makes itself
// (TTS triggers and negatives mixed into procedural backgrounds by
// `synthesize`): RSS after the first minute vs at the end, tf tensor count,
// every trigger `detect` finds on the same audio, and no unhandled error.
// Usage: npm run build && node bench/soak.mjs [--model DIR] [--minutes 60]
import {spawnSync, spawn} from 'node:child_process'
import {createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {machine, writeSection} from './lib/results.mjs'

const args = process.argv.slice(2)
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const model = opt('model', 'models/activate')
const minutes = Number(opt('minutes', '60'))
const work = 'bench/out/soak'
const rw = (...a) => {
  const r = spawnSync(process.execPath, ['bin/run.js', ...a], {stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28})
  if (r.status !== 0) throw new Error(`rnn-wake ${a.join(' ')} exited ${r.status}`)
  return r.stdout
}

mkdirSync(work, {recursive: true})
if (!existsSync(`${work}/activates`)) rw('tts', '--engine', 'espeak', 'activate', '--count', '60', '--seed', '11', '--out', `${work}/activates`)
if (!existsSync(`${work}/negatives`)) rw('tts', '--engine', 'espeak', '--negatives-for', 'activate', '--count', '120', '--seed', '12', '--out', `${work}/negatives`)
if (!existsSync(`${work}/backgrounds`)) spawnSync(process.execPath, ['bench/make-backgrounds.mjs', `${work}/backgrounds`, '12', '5', `${work}/negatives`, 'activate'], {stdio: 'inherit'})
const examples = Math.ceil((minutes * 60) / 10)
const set = `${work}/set-${examples}`
if (!existsSync(set)) rw('synthesize', '--activates', `${work}/activates`, '--negatives', `${work}/negatives`, '--backgrounds', `${work}/backgrounds`, '--count', String(examples), '--seed', '7', '--snr', '0,20', '--out', set)

// One long WAV: the examples back to back.
const wav = `${work}/soak-${minutes}min.wav`
if (!existsSync(wav)) {
  const files = readdirSync(set).filter((f) => f.endsWith('.wav')).sort()
  const dataBytes = files.length * 441_000 * 2
  const header = Buffer.alloc(44)
  header.write('RIFF', 0)
  header.writeUInt32LE(36 + dataBytes, 4)
  header.write('WAVEfmt ', 8)
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20)
  header.writeUInt16LE(1, 22)
  header.writeUInt32LE(44_100, 24)
  header.writeUInt32LE(88_200, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(16, 34)
  header.write('data', 36)
  header.writeUInt32LE(dataBytes, 40)
  const out = createWriteStream(wav)
  out.write(header)
  for (const f of files) {
    const bytes = readFileSync(join(set, f))
    out.write(bytes.subarray(44, 44 + 441_000 * 2))
  }
  await new Promise((resolve) => out.end(resolve))
}

const detectStart = performance.now()
const detected = JSON.parse(rw('detect', wav, '--model', model, '--json'))
const detectSeconds = (performance.now() - detectStart) / 1000
const detectTimes = detected.files[0].detections.map((d) => d.seconds)

const listenStart = performance.now()
const child = spawn(process.execPath, ['bin/run.js', 'listen', '--input', wav, '--model', model, '--json', '--stats', '60'], {stdio: ['ignore', 'pipe', 'pipe']})
let stdout = ''
let stderr = ''
child.stdout.on('data', (d) => (stdout += d))
child.stderr.on('data', (d) => (stderr += d))
const code = await new Promise((resolve) => child.on('close', resolve))
const listenSeconds = (performance.now() - listenStart) / 1000
const events = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
const stats = events.filter((e) => e.type === 'stats')
const listenTimes = events.filter((e) => e.type === "detection").map((e) => e.time)
const summary = events.find((e) => e.type === 'summary')
const first = stats[0]
const last = stats.at(-1)
const same = (a, b) => a.length === b.length && a.every((t, i) => Math.abs(t - b[i]) < 1e-6)
const missing = detectTimes.filter((t) => !listenTimes.some((u) => Math.abs(u - t) < 1e-6))

const md = [
  `## Soak: \`listen --input\` over ${minutes} minutes of generated audio (issue 8)`,
  '',
  `Command: \`npm run build && node bench/soak.mjs --model ${model} --minutes ${minutes}\`. Audio: ${examples} synthesized 10 s examples back to back (TTS triggers and confusable negatives at 0..20 dB SNR over procedural backgrounds).`,
  `Machine: ${machine()}.`,
  '',
  '| | value |',
  '| --- | --- |',
  `| listen exit code | ${code}${stderr.includes('Error') ? ' (stderr mentions an error)' : ''} |`,
  `| RSS after the first minute of audio | ${first?.rssMB} MB |`,
  `| RSS at the end (${last?.audioSeconds} s of audio) | ${last?.rssMB} MB (growth ${(last?.rssMB - first?.rssMB).toFixed(1)} MB; goal < 50 MB) |`,
  `| tf tensors first / last | ${first?.tensors} / ${last?.tensors} |`,
  `| detections: detect / listen | ${detectTimes.length} / ${listenTimes.length} (identical times: ${same(detectTimes, listenTimes) ? 'yes' : `no, ${missing.length} of detect's missing from listen`}) |`,
  `| wall time: detect / listen | ${detectSeconds.toFixed(0)} s / ${listenSeconds.toFixed(0)} s (listen real-time factor ${summary?.realTimeFactor?.toFixed(4)}) |`,
].join('\n')
writeSection('soak', md)
console.log(md)
if (code !== 0) process.exitCode = 1
