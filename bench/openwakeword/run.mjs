#!/usr/bin/env node
// Side by side: openWakeWord's official hey_jarvis and alexa models against
// rnn-wake models trained by our recipe (train.sh) for the same phrases, in
// one run, on the same held-out audio (data.mjs), scored by the same code
// (score.mjs -> dist/src/metrics/events.js). See README.md.
//
//   cd bench/openwakeword && npm ci && node run.mjs
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import {join, relative, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {readAudio, SAMPLE_RATE} from '../../dist/src/audio/read.js'
import {resample} from '../../dist/src/audio/resample.js'
import {readDataset} from '../../dist/src/dataset/manifest.js'
import {outputStepSeconds} from '../../dist/src/model/config.js'
import {selectBackend} from '../../dist/src/model/backend.js'
import {loadDetector} from '../../dist/src/model/model-dir.js'
import {predictLong} from '../../dist/src/model/predict.js'
import {machine, writeSection} from '../lib/results.mjs'
import {HERE, PHRASES, ROOT, dataCommands, heldOutVoices, prepareData} from './data.mjs'
import {CHUNK, OWW_SAMPLE_RATE, OWW_STEP_SEC, OpenWakeWordStream, SESSION_OPTIONS, loadOpenWakeWord, modelsDir} from './oww.mjs'
import {FA_LEVELS, breakdown, detCsv, frrAtFa, scoreSystem} from './score.mjs'

const {values: flags} = parseArgs({
  options: {
    'jarvis-model': {type: 'string', default: join(ROOT, 'bench/out/openwakeword/models/hey-jarvis')},
    'alexa-model': {type: 'string', default: join(ROOT, 'bench/out/openwakeword/models/alexa')},
    out: {type: 'string', default: join(ROOT, 'bench/out/openwakeword')},
    count: {type: 'string', default: '150'},
    'trigger-clips': {type: 'string', default: '200'},
    'negative-clips': {type: 'string', default: '300'},
    snr: {type: 'string', default: '5,20'},
    'target-fa': {type: 'string', default: '0.5'},
    'stream-seconds': {type: 'string', default: '300'},
    refractory: {type: 'string', default: '1.0'},
    backend: {type: 'string', default: 'wasm'},
    quick: {type: 'boolean', default: false},
    'data-only': {type: 'boolean', default: false},
    'report-only': {type: 'boolean', default: false},
    write: {type: 'boolean', default: true},
    help: {type: 'boolean', default: false},
  },
  allowNegative: true,
})

if (flags.help) {
  console.log(`node run.mjs [--jarvis-model DIR] [--alexa-model DIR] [--out DIR] [--count N] [--trigger-clips N]
  [--negative-clips N] [--snr LOW,HIGH] [--target-fa F] [--refractory SEC] [--stream-seconds S] [--backend wasm|cpu|node]
  [--quick] [--data-only] [--report-only] [--no-write]
--quick: a small separate data set under OUT/quick, and nothing written to bench/RESULTS.md.
--data-only: make (or check) the held-out audio and stop.
--report-only: render the report again from OUT/results.json (no measuring).`)
  process.exit(0)
}

const log = (s) => console.error(s)
const rel = (p) => relative(ROOT, p) || '.'
const num = (name) => {
  const v = Number(flags[name])
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number, not "${flags[name]}"`)
  return v
}

const quick = flags.quick
const out = resolve(flags.out)
const dataDir = join(out, quick ? 'quick' : 'data')
const dataOptions = {
  count: quick ? 6 : num('count'),
  triggerClips: quick ? 10 : num('trigger-clips'),
  negativeClips: quick ? 10 : num('negative-clips'),
  snr: flags.snr,
  courseBackgrounds: join(ROOT, '../shared/data/course/backgrounds'),
  realspeech: join(ROOT, '../shared/data/realspeech'),
}
const targetFa = num('target-fa')
const streamSeconds = quick ? 20 : num('stream-seconds')

if (flags['report-only']) {
  const saved = JSON.parse(readFileSync(join(out, quick ? 'results-quick.json' : 'results.json'), 'utf8'))
  const md = markdown(saved, saved.results)
  console.log(md)
  if (flags.write && !quick) {
    writeSection('openwakeword', md)
    log('Wrote the openwakeword section of bench/RESULTS.md')
  }
  process.exit(0)
}

// ---- 1. the held-out audio ------------------------------------------------------------
await prepareData(dataDir, dataOptions, log)
if (flags['data-only']) process.exit(0)

/** Every file both systems score, with where each phrase's triggers end in it (none outside its own set). */
async function evaluationFiles() {
  const files = []
  for (const p of PHRASES) {
    const ds = await readDataset(join(dataDir, 'sets', p.slug))
    for (const e of ds.entries) {
      const ends = e.clips.filter((c) => c.trigger).map((c) => c.end / SAMPLE_RATE)
      files.push({file: join(ds.dir, e.file), group: `set:${p.slug}`, truths: Object.fromEntries(PHRASES.map((q) => [q.slug, q.slug === p.slug ? ends : []]))})
    }
  }
  const speech = join(dataDir, 'realspeech')
  let pieces = readdirSync(speech).filter((f) => f.endsWith('.wav')).sort()
  if (quick) pieces = pieces.slice(0, 2)
  for (const f of pieces) files.push({file: join(speech, f), group: 'realspeech', truths: Object.fromEntries(PHRASES.map((q) => [q.slug, []]))})
  return files
}
const files = await evaluationFiles()

// ---- 2. the systems ---------------------------------------------------------------------
const oww = await loadOpenWakeWord(PHRASES.map((p) => p.oww))
const backend = await selectBackend(flags.backend)
const systems = [] // {system, phrase, score(samples44k, samples16k) -> Float32Array, stepSec, trigger, defaultThreshold, ...}
const missing = []
for (const p of PHRASES) {
  const stream = new OpenWakeWordStream(oww, [p.oww])
  systems.push({system: 'openWakeWord', phrase: p, model: `${p.oww} (${oww.classifiers[p.oww].file})`, stepSec: OWW_STEP_SEC, defaultThreshold: 0.5, score: async (_x, x16) => {
    const r = await stream.scoreClip(x16)
    return {probabilities: r.scores[p.oww], processedSec: r.processedSec}
  }})
  const dir = resolve(flags[p.slug === 'hey-jarvis' ? 'jarvis-model' : 'alexa-model'])
  if (!existsSync(join(dir, 'rnn-wake.json'))) {
    missing.push(`${p.phrase}: no rnn-wake model in ${rel(dir)} (train it with bench/openwakeword/train.sh)`)
    continue
  }
  const detector = await loadDetector(dir)
  const heldOut = voiceOverlap(detector.config, p, dir)
  if (heldOut.overlap > 0) throw new Error(`${rel(dir)} was trained on ${heldOut.overlap} clips spoken by held-out voices: retrain it with train.sh`)
  systems.push({system: 'rnn-wake', phrase: p, model: rel(dir), heldOut, detector, stepSec: outputStepSeconds(detector.config), defaultThreshold: detector.config.trigger.threshold, trigger: detector.config.trigger, score: async (x) => ({probabilities: predictLong(detector, x).trigger, processedSec: x.length / SAMPLE_RATE})})
}
for (const m of missing) log(`Note: ${m}`)

/**
 * Check, from the folders the model's rnn-wake.json says it was trained on,
 * that none of its TTS clips was spoken by a voice variant of the test set.
 */
function voiceOverlap(config, phrase, dir) {
  const held = new Set(heldOutVoices().split(',').map((v) => v.trim().toLowerCase()))
  const data = config.training?.data ?? {}
  const folders = [...(data.triggerFolders ?? []), ...(data.negativeFolders ?? [])]
  // An ensemble (mix.sh) names its networks' source model directories: check the folders each names.
  for (const entry of config.training?.ensemble ?? []) {
    const source = entry.from && entry.from !== '.' ? resolve(dir, entry.from, 'rnn-wake.json') : undefined
    if (!source || !existsSync(source)) throw new Error(`${rel(dir)}: ensemble network ${entry.network} names no source model to check for held-out voices`)
    const d = JSON.parse(readFileSync(source, 'utf8')).training?.data ?? {}
    folders.push(...(d.triggerFolders ?? []), ...(d.negativeFolders ?? []))
  }
  let clips = 0
  let overlap = 0
  let unknown = 0
  for (const folder of folders) {
    // train.sh runs from the repository root, so relative folders are relative to it.
    const manifest = join(resolve(ROOT, folder), 'manifest.jsonl')
    if (!existsSync(manifest)) {
      unknown++
      continue
    }
    for (const line of readFileSync(manifest, 'utf8').split('\n').filter(Boolean)) {
      const clip = JSON.parse(line)
      clips++
      if (held.has(String(clip.variant).toLowerCase())) overlap++
    }
  }
  const test = readFileSync(join(dataDir, 'clips', phrase.slug, 'triggers', 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  const testOutside = test.filter((c) => !held.has(String(c.variant).toLowerCase())).length
  if (testOutside > 0) throw new Error(`${testOutside} held-out trigger clips use voices outside heldout-voices.txt`)
  return {folders: folders.length, clips, overlap, foldersWithoutManifest: unknown}
}

// The same post-processing for both (TriggerDetector): fire on the first step above the
// threshold, re-arm once the score drops below it, and stay quiet for --refractory seconds
// (converted to each system's step). 1 s by default: longer than either system's scores stay
// up after one word, so a single utterance cannot count twice (the models' own 0.55 s lets
// openWakeWord's alexa fire twice on one word, ~0.7 s apart), shorter than two words.
const refractorySec = num('refractory')
for (const s of systems) {
  s.trigger = {threshold: s.defaultThreshold, minSteps: 1, refractorySteps: Math.ceil(refractorySec / s.stepSec - 1e-9)}
  s.items = []
  s.wallMs = 0
  s.cpuMs = 0
  s.processedSec = 0
}

// ---- 3. one pass over the audio, both systems on each file in turn ---------------------------
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
async function timed(fn) {
  const w = performance.now()
  const c = cpuMs()
  const result = await fn()
  return {result, wallMs: performance.now() - w, cpuMs: cpuMs() - c}
}

log(`Warming up on ${rel(files[0].file)}`)
{
  const x = (await readAudio(files[0].file)).samples
  const x16 = resample(x, SAMPLE_RATE, OWW_SAMPLE_RATE)
  for (const s of systems) await s.score(x, x16)
}

let audioSec = 0
let resampleMs = 0
const groupSec = {}
const started = performance.now()
for (const [i, f] of files.entries()) {
  const x = (await readAudio(f.file)).samples
  const durationSec = x.length / SAMPLE_RATE
  audioSec += durationSec
  groupSec[f.group] = (groupSec[f.group] ?? 0) + durationSec
  const r = await timed(async () => resample(x, SAMPLE_RATE, OWW_SAMPLE_RATE))
  resampleMs += r.wallMs
  const x16 = r.result
  for (const s of systems) {
    const t = await timed(() => s.score(x, x16))
    s.wallMs += t.wallMs
    s.cpuMs += t.cpuMs
    s.processedSec += t.result.processedSec
    s.items.push({name: f.file, group: f.group, probabilities: t.result.probabilities, stepSec: s.stepSec, durationSec, truthsSec: f.truths[s.phrase.slug]})
  }
  if ((i + 1) % 25 === 0 || i + 1 === files.length) log(`  ${i + 1}/${files.length} files, ${(audioSec / 60).toFixed(1)} min of audio, ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

// ---- 4. rnn-wake as a stream (80 ms chunks), for its real-time factor when listening -------------------
const streaming = {}
let StreamingInference
try {
  ;({StreamingInference} = await import('../../dist/src/stream/inference.js'))
} catch {
  log('Note: dist/src/stream/inference.js not built: skipping the streaming measurement')
}
if (StreamingInference && streamSeconds > 0) {
  const speech = files.filter((f) => f.group === 'realspeech')
  for (const s of systems.filter((s) => s.system === 'rnn-wake')) {
    let inference
    try {
      inference = new StreamingInference(s.detector)
    } catch (error) {
      streaming[s.phrase.slug] = {error: error.message}
      continue
    }
    const chunk = Math.round(SAMPLE_RATE * (CHUNK / OWW_SAMPLE_RATE))
    // Equivalence check on one 10 s example: the stream must give what the offline pass gave.
    const first = files.findIndex((f) => f.group === `set:${s.phrase.slug}`)
    const x0 = (await readAudio(files[first].file)).samples
    inference.reset()
    const parts = []
    for (let at = 0; at < x0.length; at += chunk) parts.push(inference.push(x0.subarray(at, at + chunk)).probabilities)
    const streamed = Float32Array.from(parts.flatMap((p) => [...p]))
    const offline = s.items[first].probabilities
    let maxDiff = 0
    for (let k = 0; k < Math.min(streamed.length, offline.length); k++) maxDiff = Math.max(maxDiff, Math.abs(streamed[k] - offline[k]))
    let sec = 0
    let wallMs = 0
    let cpu = 0
    for (const f of speech) {
      if (sec >= streamSeconds) break
      const x = (await readAudio(f.file)).samples
      inference.reset()
      const t = await timed(async () => {
        for (let at = 0; at < x.length; at += chunk) inference.push(x.subarray(at, at + chunk))
      })
      sec += x.length / SAMPLE_RATE
      wallMs += t.wallMs
      cpu += t.cpuMs
    }
    inference.dispose()
    streaming[s.phrase.slug] = {seconds: sec, rtfWall: wallMs / 1000 / sec, rtfCpu: cpu / 1000 / sec, chunkMs: (1000 * chunk) / SAMPLE_RATE, maxDiffVsOffline: maxDiff, stepsCompared: Math.min(streamed.length, offline.length)}
    log(`  rnn-wake ${s.phrase.phrase} streaming: RTF ${(wallMs / 1000 / sec).toFixed(4)} over ${sec.toFixed(0)} s; max |stream - offline| ${maxDiff.toExponential(2)}`)
  }
}

// ---- 5. scores, side by side ------------------------------------------------------------------
const results = []
for (const s of systems) {
  const score = scoreSystem(s.items, s.trigger, s.defaultThreshold, targetFa)
  const where = {atDefault: breakdown(s.items, {...s.trigger, threshold: score.atDefault.threshold})}
  if (score.atTarget) where.atTarget = breakdown(s.items, {...s.trigger, threshold: score.atTarget.threshold})
  results.push({system: s.system, phrase: s.phrase.phrase, slug: s.phrase.slug, model: s.model, heldOut: s.heldOut, stepSec: s.stepSec, processedSec: s.processedSec, rtfWall: s.wallMs / 1000 / s.processedSec, rtfCpu: s.cpuMs / 1000 / s.processedSec, ...score, where})
}
for (const r of results) {
  const other = results.find((o) => o.slug === r.slug && o.system !== r.system)
  r.atOthersFa = other?.atTarget ? frrAtFa(r, other.atTarget.faPerHour) : null
}

mkdirSync(out, {recursive: true})
const report = {
  machine: machine(),
  backend,
  onnxruntime: SESSION_OPTIONS,
  owwModels: rel(modelsDir()),
  heldOutVoices: heldOutVoices(),
  data: {dir: rel(dataDir), options: dataOptions, files: files.length, audioSec, groupSec},
  targetFa,
  refractorySec,
  resampleRtf: resampleMs / 1000 / audioSec,
  streaming,
  missing,
  results: results.map(({curve, ...r}) => r),
}
writeFileSync(join(out, quick ? 'results-quick.json' : 'results.json'), JSON.stringify({...report, curves: Object.fromEntries(results.map((r) => [`${r.system}/${r.slug}`, r.curve]))}, null, 1))
// Score tracks, for looking into single detections afterwards (analyze.mjs).
{
  const tracks = systems.map((s) => ({system: s.system, phrase: s.phrase.slug, stepSec: s.stepSec, trigger: s.trigger, items: s.items.map((it) => ({name: rel(it.name), group: it.group, durationSec: it.durationSec, truthsSec: it.truthsSec, steps: it.probabilities.length}))}))
  const all = systems.flatMap((s) => s.items.map((it) => it.probabilities))
  const buf = new Float32Array(all.reduce((n, a) => n + a.length, 0))
  let at = 0
  for (const a of all) {
    buf.set(a, at)
    at += a.length
  }
  writeFileSync(join(out, quick ? 'tracks-quick.json' : 'tracks.json'), JSON.stringify(tracks))
  writeFileSync(join(out, quick ? 'tracks-quick.f32' : 'tracks.f32'), new Uint8Array(buf.buffer))
}
for (const r of results) writeFileSync(join(out, `det-${r.system.toLowerCase()}-${r.slug}${quick ? '-quick' : ''}.csv`), detCsv(r))

const md = markdown(report, results)
console.log(md)
if (flags.write && !quick) {
  writeSection('openwakeword', md)
  log('Wrote the openwakeword section of bench/RESULTS.md')
}

// ---- the report ---------------------------------------------------------------------------
/** What a model's rnn-wake.json says about its training (null when it cannot be read). */
function trainingOf(model) {
  try {
    const c = JSON.parse(readFileSync(join(resolve(ROOT, model), 'rnn-wake.json'), 'utf8'))
    const t = c.training ?? {}
    const d = t.data ?? {}
    const bg = [d.clips?.backgrounds ? `${d.clips.backgrounds} background recordings` : null, d.clips?.proceduralBackgrounds ? `${d.clips.proceduralBackgrounds} procedural backgrounds` : null].filter(Boolean).join(' and ')
    if (t.ensemble) return {ensemble: t.ensemble, threshold: c.trigger?.threshold}
    if (t.recipe === 'speech-embedding') return {recipe: t.recipe, steps: t.steps, networks: t.networks ?? 1, mineRounds: t.mineRounds ?? 0, seconds: t.seconds ?? 0, threshold: c.trigger?.threshold, calibration: t.calibration, clips: (t.clips?.positives ?? 0) + (t.clips?.negatives ?? 0)}
    return {preset: c.preset?.name, epochs: t.epochs, examplesSeen: t.examplesSeen, trainSeconds: t.trainSeconds ?? 0, batch: t.batch, lr: t.lr, lrDecay: t.lrDecay, classWeight: t.classWeight ?? 1, hardNegativeWeight: t.hardNegativeWeight ?? 1, threshold: c.trigger?.threshold, clips: (d.clips?.triggers ?? 0) + (d.clips?.negatives ?? 0) + (d.validationClips?.triggers ?? 0) + (d.validationClips?.negatives ?? 0), backgrounds: bg || 'no backgrounds'}
  } catch {
    return null
  }
}

function markdown(rep, rows) {
  const pct = (x) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`)
  const fa = (x) => (x === null || x === undefined ? '-' : x.toFixed(2))
  const thr = (x) => (x === undefined ? '-' : String(Number(x.toPrecision(5))))
  const pt = (p) => (p ? `${pct(p.frr)} (${p.missed}/${p.triggers}) at ${fa(p.faPerHour)} FA/h, thr ${thr(p.threshold)}` : 'none')
  const lat = (p) => (p && Number.isFinite(p.latencyMedianMs) ? `${Math.round(p.latencyMedianMs)} ms` : '-')
  const h = (sec) => `${(sec / 3600).toFixed(2)} h`
  const L = []
  L.push('## openWakeWord side by side (`bench/openwakeword/run.mjs`)')
  L.push('')
  L.push(`Machine: ${rep.machine}. Both systems on one thread: onnxruntime-node (intraOpNumThreads 1, interOpNumThreads 1) for openWakeWord, TensorFlow.js on the ${rep.backend} backend (single-threaded under Node) for rnn-wake; run interleaved file by file in one process while other work shared the 2 cores, so wall-clock RTFs are inflated alike; CPU-time RTFs are the steadier figure.`)
  L.push('')
  const sets = PHRASES.map((p) => `${h(rep.data.groupSec[`set:${p.slug}`] ?? 0)} of "${p.phrase}" examples`).join(', ')
  const triggers = rows.filter((r) => r.system === 'openWakeWord').map((r) => `${r.atDefault.triggers} "${r.phrase}"`).join(', ')
  L.push(`Held-out audio (${rep.data.files} files, ${h(rep.data.audioSec)}): ${sets} (10 s each, synthesized at SNR ${rep.data.options.snr} dB over the course's 2 background recordings and 10 generated noises; triggers: ${triggers}, spoken only by the held-out espeak variants \`${rep.heldOutVoices}\` in all 8 accents, never heard in our training), plus ${h(rep.data.groupSec.realspeech ?? 0)} of real speech (../shared/data/realspeech, asterisk-allison, 8 kHz, joined into 60 s files). Every file counts as non-trigger audio for the phrase it does not contain, so each phrase is scored on all ${h(rep.data.audioSec)}; false accepts are counted outside the trigger windows (0.5 s before to 1 s after each trigger's end).`)
  L.push('')
  L.push(`Scoring, identical for both: score tracks -> \`TriggerDetector\` (threshold, re-arm below it, refractory ${rep.refractorySec} s for both) -> \`matchEvents\`/\`detCurve\`/\`pointForTargetFA\` from dist/src/metrics/events.js over one threshold grid. openWakeWord: 16 kHz (our 44.1 kHz audio resampled by dist/src/audio/resample.js, not timed: RTF ${rep.resampleRtf.toFixed(4)}), 1280-sample chunks, melspectrogram.onnx (480 samples of context) -> embedding_model.onnx -> classifier over 16 embeddings, one score per 80 ms, as openWakeWord's Python \`Model.predict\` streams, each file treated as its \`predict_clip\` does: a fresh stream, with silence before (1.04 s, scores dropped) and after (1 s, scores kept) the file (models loaded from ${rep.owwModels}: CC BY-NC-SA, benchmark only, not in the repository). rnn-wake: \`predictLong\` (what \`rnn-wake evaluate\` runs: whole 10 s clips, long files in 10 s windows). RTF = processing time / seconds of audio processed (openWakeWord's padding included), one thread each, measured in this run.`)
  L.push('')
  L.push(`| phrase | system | FRR at <= ${rep.targetFa} FA/h | FRR at the other's FA/h | FRR at 0 FA | at its default threshold | median latency | RTF (CPU) | RTF (wall) |`)
  L.push('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    L.push(`| ${r.phrase} | ${r.system} | ${pt(r.atTarget)} | ${r.atOthersFa ? `${pct(r.atOthersFa.frr)} at ${fa(r.atOthersFa.faPerHour)} FA/h` : '-'} | ${r.atZero ? `${pct(r.atZero.frr)}, thr ${thr(r.atZero.threshold)}` : '-'} | ${pt(r.atDefault)} | ${lat(r.atTarget)} | ${r.rtfCpu.toFixed(4)} | ${r.rtfWall.toFixed(4)} |`)
  }
  L.push('')
  L.push('')
  L.push(`DET curves read at more FA/h levels (lowest FRR with at most that many false accepts per hour):`)
  L.push('')
  L.push(`| phrase | system | ${FA_LEVELS.map((f) => `<= ${f} FA/h`).join(' | ')} |`)
  L.push(`|---|---|${FA_LEVELS.map(() => '---|').join('')}`)
  for (const r of rows) L.push(`| ${r.phrase} | ${r.system} | ${r.levels.map((l) => (l.point ? `${pct(l.point.frr)} (thr ${thr(l.point.threshold)})` : '-')).join(' | ')} |`)
  L.push('')
  L.push(`Where the errors are, at each system's default threshold: false accepts per part of the audio (count / hours), and misses (late: a detection 1-2.5 s after the word's end, counted as a miss plus a false accept; at the end: the word ends in the last 0.5 s of its file).`)
  L.push('')
  const groups = Object.keys(rows[0]?.where.atDefault ?? {})
  L.push(`| phrase | system | thr | ${groups.map((g) => `FA in ${g}`).join(' | ')} | missed (late, at the end) |`)
  L.push(`|---|---|---|${groups.map(() => '---|').join('')}---|`)
  for (const r of rows) {
    const w = r.where.atDefault
    const missed = Object.values(w).reduce((a, g) => a + g.missed, 0)
    const late = Object.values(w).reduce((a, g) => a + g.lateMisses, 0)
    const edge = Object.values(w).reduce((a, g) => a + g.edgeMisses, 0)
    L.push(`| ${r.phrase} | ${r.system} | ${thr(r.atDefault.threshold)} | ${groups.map((g) => `${w[g].falseAccepts} / ${w[g].nonTriggerHours.toFixed(2)} h`).join(' | ')} | ${missed} (${late}, ${edge}) |`)
  }
  L.push('')
  L.push('"FRR at <= X FA/h": the lowest miss rate over the grid whose false accepts stay within X per hour; "the other\'s FA/h": this system\'s DET curve read at the FA/h the other system reached in the previous column. Models: ' + rows.map((r) => `${r.system} ${r.phrase}: ${r.model}`).join('; ') + '.')
  for (const r of rows.filter((r) => r.system === 'rnn-wake')) {
    const t = trainingOf(r.model)
    if (t?.ensemble) L.push(`\nrnn-wake ${r.phrase} (${r.model}): an ensemble (bench/openwakeword/mix.sh) of ${t.ensemble.map((e) => `${e.from} (${e.features} bins, ${e.epochs} epochs)`).join(' and ')}, outputs averaged; threshold ${t.threshold}, set by mix.sh on voices and speech this benchmark does not use.`)
    else if (t?.recipe === 'speech-embedding') L.push(`\nrnn-wake ${r.phrase} (${r.model}): the speech-embedding recipe, ${t.networks > 1 ? `${t.networks} networks averaged, ` : ''}${t.steps} steps${t.mineRounds ? `, ${t.mineRounds} mining rounds` : ''} on ${t.clips} embedded examples and the real-speech bank, ${Math.round(t.seconds / 60)} min; threshold ${t.threshold}, set by train on ${t.calibration?.hours ?? '?'} h of real speech (the calibration bank) at ${t.calibration?.targetFaPerHour ?? '?'} FA/h.`)
    else if (t) L.push(`\nrnn-wake ${r.phrase} (${r.model}): preset ${t.preset}, ${t.epochs} epochs, ${t.examplesSeen} examples in ${Math.round(t.trainSeconds / 60)} min of training (batch ${t.batch}, lr ${t.lr}${t.lrDecay ? ` x ${t.lrDecay} per epoch` : ''}, positive-step weight ${t.classWeight}, hard-negative weight ${t.hardNegativeWeight}), threshold ${t.threshold} (the trainer's choice on its validation clips; 0.5 is its fallback when no threshold meets 0.5 FA/h there); trained by train.sh from ${t.clips} TTS clips (all voices but the held-out ones) plus ${t.backgrounds}.`)
  }
  L.push('')
  L.push('Goal check (issue 7: rnn-wake no worse than openWakeWord at equal FA/h, at a lower RTF):')
  for (const p of PHRASES) {
    const a = rows.find((r) => r.slug === p.slug && r.system === 'rnn-wake')
    const b = rows.find((r) => r.slug === p.slug && r.system === 'openWakeWord')
    if (!a || !b) continue
    const cmp = a.levels.map((l, i) => {
      const x = l.point?.frr ?? 1
      const y = b.levels[i].point?.frr ?? 1
      return `${l.fa}: ${x <= y ? 'yes' : 'no'} (${pct(x)} vs ${pct(y)})`
    })
    L.push(`- ${p.phrase}: FRR no worse at <= ${cmp.join('; ')}; RTF (CPU) ${a.rtfCpu.toFixed(4)} vs ${b.rtfCpu.toFixed(4)}: ${a.rtfCpu < b.rtfCpu ? 'lower' : 'not lower'}.`)
  }
  for (const [slug, st] of Object.entries(rep.streaming)) {
    if (st.error) L.push(`\nrnn-wake ${slug} as a stream: ${st.error}`)
    else L.push(`\nrnn-wake ${slug} as a stream (\`StreamingInference\`, ${st.chunkMs.toFixed(0)} ms chunks like openWakeWord's, ${Math.round(st.seconds)} s of the real speech): RTF ${st.rtfCpu.toFixed(4)} CPU, ${st.rtfWall.toFixed(4)} wall; on one held-out example the streamed scores match the offline ones to ${st.maxDiffVsOffline.toExponential(1)} over ${st.stepsCompared} steps.`)
  }
  for (const r of rows.filter((r) => r.heldOut && r.heldOut.clips === 0)) L.push(`\nHeld-out check, rnn-wake ${r.phrase}: not made: ${r.heldOut.folders === 0 ? 'its rnn-wake.json names no training folders (models trained before train recorded them)' : `none of the ${r.heldOut.folders} folders its rnn-wake.json names holds a TTS manifest here`}.`)
  for (const r of rows.filter((r) => r.heldOut && r.heldOut.clips > 0)) L.push(`\nHeld-out check, rnn-wake ${r.phrase}: 0 of the ${r.heldOut.clips} TTS clips in the ${r.heldOut.folders} folders its rnn-wake.json names were spoken by a held-out variant${r.heldOut.foldersWithoutManifest ? ` (${r.heldOut.foldersWithoutManifest} folders without a TTS manifest not checked)` : ''}.`)
  for (const m of rep.missing) L.push(`\nNot run: ${m}.`)
  L.push('')
  L.push(`Caveats: every trigger is espeak-ng speech. rnn-wake trained on espeak (other variants of the same synthesizer); openWakeWord's models were trained on other TTS voices (Piper) and real negative audio, so this held-out set is in rnn-wake\'s domain and outside openWakeWord's. A fair reading is "on this project\'s own kind of data"; it says nothing about real voices, for which we have no "hey jarvis"/"alexa" recordings. With ${(rows[0]?.atDefault.nonTriggerHours ?? 0).toFixed(2)} h of non-trigger audio per phrase, one false accept is ${(1 / (rows[0]?.atDefault.nonTriggerHours || 1)).toFixed(2)} FA/h: that is the resolution of the FA/h columns.`)
  L.push('')
  L.push('Reproduce: `bash bench/openwakeword/train.sh` (the rnn-wake models; the exact commands are in that file), then `cd bench/openwakeword && npm ci && node run.mjs`. The held-out data is made by:')
  L.push('')
  L.push('```')
  for (const c of dataCommands(rel(dataDir), rep.data.options)) L.push(`rnn-wake ${c.args.map((a) => (/[\s]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`)
  L.push('```')
  L.push('')
  L.push(`Full DET curves: ${rel(out)}/det-*.csv; everything in ${rel(out)}/results.json.`)
  return L.join('\n')
}
