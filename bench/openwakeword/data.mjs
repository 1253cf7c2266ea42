// The held-out audio both systems are scored on, made deterministically and
// cached under bench/out/openwakeword/data (gitignored):
//   clips/<phrase>/triggers   "rnn-wake tts PHRASE" spoken only by the held-out voices
//   clips/<phrase>/negatives  "rnn-wake tts --negatives-for PHRASE" by the same voices
//   backgrounds/              the course's two recordings + generated noises unlike
//                             the trainer's procedural ones (fan, rain, traffic, hum, pink)
//   sets/<phrase>/            "rnn-wake synthesize": 10 s examples with the triggers'
//                             ends in manifest.jsonl
//   realspeech/               ../shared/data/realspeech joined into 60 s files (44.1 kHz)
// Every step runs only when its output is missing or was made by a different
// command (each folder keeps the command that made it in .made-by).
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {readAudio, SAMPLE_RATE} from '../../dist/src/audio/read.js'
import {writeWav16} from '../../dist/src/audio/write.js'

export const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '')
export const HERE = new URL('./', import.meta.url).pathname.replace(/\/$/, '')

/** The voices (espeak variants, in every accent) our training never hears; train.sh excludes the same file. */
export function heldOutVoices() {
  return readFileSync(join(HERE, 'heldout-voices.txt'), 'utf8').trim()
}

export const PHRASES = [
  {phrase: 'hey jarvis', slug: 'hey-jarvis', oww: 'hey_jarvis', seed: 7101},
  {phrase: 'alexa', slug: 'alexa', oww: 'alexa', seed: 7201},
]

const STAMP = '.made-by'

function made(dir, recipe) {
  return existsSync(join(dir, STAMP)) && readFileSync(join(dir, STAMP), 'utf8') === recipe
}

function stamp(dir, recipe) {
  writeFileSync(join(dir, STAMP), recipe)
}

function cli(args, log) {
  log(`  $ rnn-wake ${args.map((a) => (/[\s,]/.test(a) && !a.startsWith('--') ? JSON.stringify(a) : a)).join(' ')}`)
  execFileSync('nice', ['-n', '10', process.execPath, join(ROOT, 'bin/run.js'), ...args], {stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT})
}

/** The rnn-wake command lines that make the held-out clips and sets (also printed into RESULTS.md). */
export function dataCommands(out, {count, triggerClips, negativeClips, snr}) {
  const voices = heldOutVoices()
  const commands = []
  for (const p of PHRASES) {
    const clips = join(out, 'clips', p.slug)
    commands.push({dir: join(clips, 'triggers'), args: ['tts', '--engine', 'espeak', p.phrase, '--count', String(triggerClips), '--voices', voices, '--seed', String(p.seed), '--out', join(clips, 'triggers'), '--force']})
    commands.push({dir: join(clips, 'negatives'), args: ['tts', '--engine', 'espeak', '--negatives-for', p.phrase, '--count', String(negativeClips), '--voices', voices, '--seed', String(p.seed + 1), '--out', join(clips, 'negatives'), '--force']})
    commands.push({
      dir: join(out, 'sets', p.slug),
      args: ['synthesize', '--activates', join(clips, 'triggers'), '--negatives', join(clips, 'negatives'), '--trigger', p.phrase, '--backgrounds', join(out, 'backgrounds'), '--count', String(count), '--seed', String(p.seed + 2), `--snr=${snr}`, '--workers', '1', '--out', join(out, 'sets', p.slug), '--force'],
    })
  }
  return commands
}

// ---- generated backgrounds -------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function gauss(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
}

/** One-pole low-pass, in place. */
function lowpass(x, hz, rate = SAMPLE_RATE) {
  const a = Math.exp((-2 * Math.PI * hz) / rate)
  let y = 0
  for (let i = 0; i < x.length; i++) x[i] = y = (1 - a) * x[i] + a * y
  return x
}

function toRms(x, rms) {
  let s = 0
  for (const v of x) s += v * v
  const g = rms / Math.sqrt(s / x.length || 1)
  for (let i = 0; i < x.length; i++) x[i] *= g
  return x
}

const GENERATED = {
  // A fan or air conditioner: low-passed noise with a slow wobble and a blade tone.
  fan(n, rand) {
    const x = lowpass(Float64Array.from({length: n}, () => gauss(rand)), 600)
    const f = 90 + 60 * rand()
    for (let i = 0; i < n; i++) x[i] = x[i] * (1 + 0.2 * Math.sin((2 * Math.PI * 0.3 * i) / SAMPLE_RATE)) + 0.02 * Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE)
    return x
  },
  // Rain on a window: a hiss plus thousands of short decaying clicks.
  rain(n, rand) {
    const x = Float64Array.from({length: n}, () => 0.3 * gauss(rand))
    for (let k = 0; k < n / 200; k++) {
      const at = Math.floor(rand() * n)
      const amp = 2 * rand() ** 3
      for (let i = 0; i < 300 && at + i < n; i++) x[at + i] += amp * gauss(rand) * Math.exp(-i / 40)
    }
    return x
  },
  // Traffic: rumble with cars passing (slow swells of band-limited noise).
  traffic(n, rand) {
    const x = lowpass(Float64Array.from({length: n}, () => gauss(rand)), 250)
    const cars = 3 + Math.floor(4 * rand())
    const env = new Float64Array(n).fill(0.3)
    for (let c = 0; c < cars; c++) {
      const mid = rand() * n
      const width = (2 + 3 * rand()) * SAMPLE_RATE
      for (let i = 0; i < n; i++) env[i] += Math.exp(-(((i - mid) / width) ** 2))
    }
    for (let i = 0; i < n; i++) x[i] *= env[i]
    return x
  },
  // Mains hum with harmonics and an amplifier's hiss.
  hum(n, rand) {
    const f = rand() < 0.5 ? 50 : 60
    const x = Float64Array.from({length: n}, () => 0.1 * gauss(rand))
    for (let h = 1; h <= 5; h++) {
      const amp = (0.3 + 0.7 * rand()) / h
      for (let i = 0; i < n; i++) x[i] += amp * Math.sin((2 * Math.PI * f * h * i) / SAMPLE_RATE)
    }
    return x
  },
  // Pink-ish noise (sum of three one-pole low-passes of white noise).
  pink(n, rand) {
    const w = Float64Array.from({length: n}, () => gauss(rand))
    const a = lowpass(Float64Array.from(w), 60)
    const b = lowpass(Float64Array.from(w), 600)
    const c = lowpass(Float64Array.from(w), 6000)
    return Float64Array.from({length: n}, (_, i) => 8 * a[i] + 2.5 * b[i] + c[i] + 0.1 * w[i])
  },
}

async function makeBackgrounds(dir, course, log) {
  const recipe = `backgrounds v1: course ${course}; ${Object.keys(GENERATED).join(',')} x 2 x 20 s`
  if (made(dir, recipe)) return
  log(`Making backgrounds in ${relative(ROOT, dir)}`)
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  if (existsSync(course)) for (const f of readdirSync(course).filter((f) => /\.wav$/i.test(f)).sort()) copyFileSync(join(course, f), join(dir, `course-${f}`))
  let seed = 9001
  for (const [kind, make] of Object.entries(GENERATED)) {
    for (let k = 0; k < 2; k++) {
      const rand = mulberry32(seed++)
      // int16 rms 300..3000: the synthesizer's --snr sets the mix, this only varies the noise floor of quiet parts.
      const x = toRms(make(20 * SAMPLE_RATE, rand), 300 * 10 ** rand())
      await writeWav16(join(dir, `${kind}-${k}.wav`), x)
    }
  }
  stamp(dir, recipe)
}

// ---- real speech -------------------------------------------------------------

function wavsUnder(dir) {
  const out = []
  for (const e of readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...wavsUnder(p))
    else if (/\.wav$/i.test(e.name)) out.push(p)
  }
  return out
}

/** Real non-trigger speech as 60 s files at 44.1 kHz (each prompt read and resampled by rnn-wake's own reader). */
async function makeRealSpeech(dir, source, log, pieceSec = 60) {
  const files = wavsUnder(source)
  const recipe = `realspeech v1: ${files.length} files from ${source}, ${pieceSec} s pieces`
  if (made(dir, recipe)) return
  log(`Joining ${files.length} real-speech prompts into ${pieceSec} s files in ${relative(ROOT, dir)}`)
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  let piece = []
  let length = 0
  let index = 0
  const flush = async () => {
    if (!length) return
    const x = new Float64Array(length)
    let at = 0
    for (const p of piece) {
      x.set(p, at)
      at += p.length
    }
    await writeWav16(join(dir, `realspeech-${String(index++).padStart(3, '0')}.wav`), x)
    piece = []
    length = 0
  }
  for (const f of files) {
    const a = await readAudio(f)
    piece.push(a.samples)
    length += a.samples.length
    if (length >= pieceSec * SAMPLE_RATE) await flush()
  }
  await flush()
  stamp(dir, recipe)
}

// ---- everything --------------------------------------------------------------

export async function prepareData(out, options, log = console.error) {
  mkdirSync(out, {recursive: true})
  await makeBackgrounds(join(out, 'backgrounds'), options.courseBackgrounds, log)
  await makeRealSpeech(join(out, 'realspeech'), options.realspeech, log)
  for (const {dir, args} of dataCommands(out, options)) {
    const recipe = JSON.stringify(args)
    if (made(dir, recipe)) continue
    cli(args, log)
    stamp(dir, recipe)
  }
}

/** Seconds of audio in a folder of WAVs (from the file sizes: 16-bit mono 44-byte-header files). */
export function folderSeconds(dir) {
  return readdirSync(dir).filter((f) => f.endsWith('.wav')).reduce((s, f) => s + (statSync(join(dir, f)).size - 44) / 2 / SAMPLE_RATE, 0)
}
