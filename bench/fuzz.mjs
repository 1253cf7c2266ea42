// Hostile-input fuzzing at scale (issue 8): the WAV reader, the model-directory
// loader and the dataset reader, and (issue 17) the FLAC, Ogg Vorbis, Ogg Opus
// and MP3 readers, each against 10,000+ random and mutated inputs
// from the generators the test suite uses (bench/fuzz-*.mjs), run on the built
// code in dist/. Each target runs in a worker thread watched from here: a case
// that never returns (a synchronous endless loop cannot be interrupted from its
// own thread) is reported as a hang, the worker replaced, and the run goes on.
//
// Usage: npm run build && node bench/fuzz.mjs [--runs 10000] [--targets wav,model,dataset]
//        (or --targets flac,ogg-vorbis,ogg-opus,mp3: written as its own section;
//        --targets embedding-model: a speech-embedding model and its front end's files, not written)
//        [--seed 1] [--from 0] [--backend wasm] [--hang-seconds 60] [--no-write]
// Case i of a target is fc.sample(arbitrary, {seed: seed + i}), so a failure
// printed as "case i" replays with --from i --runs 1.
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import os from 'node:os'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {Worker, isMainThread, parentPort, workerData} from 'node:worker_threads'

import fc from 'fast-check'

import {FuzzFailure, describeCase, messageKind} from './fuzz-common.mjs'

const TARGETS = ['wav', 'model', 'dataset']
const CODEC_TARGETS = ['flac', 'ogg-vorbis', 'ogg-opus', 'mp3']
const OTHER_TARGETS = ['embedding-model']
/** A case silent this long is stuck (--hang-seconds); the budgets inside a case are far shorter. */
let hangMs = 60_000

async function makeTarget(name, backend) {
  const dist = (path) => import(new URL(`../dist/src/${path}`, import.meta.url).href)
  const {InputError, ModelError, UserError} = await dist('util/errors.js')
  const root = await mkdtemp(join(tmpdir(), `rnn-wake-fuzz-${name}-`))
  if (CODEC_TARGETS.includes(name)) {
    const {codecTarget} = await import('./fuzz-codecs.mjs')
    const {decodeAudio, SAMPLE_RATE} = await dist('audio/read.js')
    return codecTarget(name, {decodeAudio, SAMPLE_RATE, InputError, UserError})
  }
  if (name === 'wav') {
    const {wavTarget} = await import('./fuzz-wav.mjs')
    const {decodeWav, SAMPLE_RATE} = await dist('audio/read.js')
    return wavTarget({decodeWav, SAMPLE_RATE, InputError, UserError})
  }
  if (name === 'model' || name === 'embedding-model') {
    const {modelTarget} = await import('./fuzz-model.mjs')
    const tf = await import('@tensorflow/tfjs')
    const [{selectBackend}, {buildModel}, {TINY, outputSteps}, {loadDetector, saveDetector}, {courseFeatures}, {RAW_FEATURES}, {COURSE_TRIGGER}, {speechEmbeddingDir}] = await Promise.all(
      ['model/backend.js', 'model/build.js', 'model/presets.js', 'model/model-dir.js', 'model/config.js', 'features/transform.js', 'stream/trigger.js', 'features/speech-embedding.js'].map(dist),
    )
    const lib = {tf, selectBackend, backend, buildModel, TINY, saveDetector, loadDetector, courseFeatures, RAW_FEATURES, COURSE_TRIGGER, outputSteps, ModelError, UserError}
    if (name === 'model') return modelTarget(lib, {root})
    const model = fileURLToPath(new URL('models/embedding/activate-tts', import.meta.url))
    return modelTarget(lib, {root, embedding: {model, weights: speechEmbeddingDir()}})
  }
  const {datasetTarget} = await import('./fuzz-dataset.mjs')
  const [{writeWav16}, dataset] = await Promise.all(['audio/write.js', 'dataset/index.js'].map(dist))
  const {loadSources, synthesizeDataset, exampleSamples, COURSE_PARAMS, readDataset} = dataset
  return datasetTarget({writeWav16, loadSources, synthesizeDataset, exampleSamples, COURSE_PARAMS, readDataset, InputError, UserError}, {root})
}

/** Worker: run cases [from, to) of one target, reporting each as it starts and ends. */
async function runWorker({name, from, to, seed, backend}) {
  const target = await makeTarget(name, backend)
  await target.setup()
  for (let i = from; i < to; i++) {
    const [c] = fc.sample(target.arbitrary, {seed: seed + i, numRuns: 1})
    parentPort.postMessage({type: 'start', i})
    try {
      const outcome = await target.check(c)
      parentPort.postMessage({type: 'done', i, accepted: outcome === 'accepted', kind: outcome === 'accepted' ? undefined : messageKind(outcome)})
    } catch (error) {
      const message = error instanceof FuzzFailure ? error.message : `${error?.constructor?.name}: ${error?.message}`
      parentPort.postMessage({type: 'fail', i, message, input: describeCase(c).slice(0, 600)})
    }
  }
  await target.teardown()
  parentPort.postMessage({type: 'end'})
}

/** Main: one worker at a time per target, replaced when a case hangs or the worker dies. */
async function runTarget(name, {runs, seed, from, backend}) {
  const stats = {name, cases: 0, accepted: 0, rejected: 0, kinds: new Map(), failures: [], seconds: 0, peakRssMB: 0}
  const started = performance.now()
  let next = from
  const rssTimer = setInterval(() => {
    stats.peakRssMB = Math.max(stats.peakRssMB, process.memoryUsage().rss / 2 ** 20)
  }, 100)
  while (next < from + runs) {
    await new Promise((resolve) => {
      const worker = new Worker(new URL(import.meta.url), {workerData: {name, from: next, to: from + runs, seed, backend}})
      let current = next
      let watchdog
      const arm = () => {
        clearTimeout(watchdog)
        watchdog = setTimeout(() => {
          stats.failures.push({i: current, message: `hang: no answer after ${hangMs / 1000} s`})
          console.error(`${name} case ${current}: hang: no answer after ${hangMs / 1000} s`)
          stats.cases++
          next = current + 1
          worker.terminate()
        }, hangMs)
      }
      arm()
      worker.on('message', (m) => {
        arm()
        if (m.type === 'start') current = m.i
        else if (m.type === 'done' || m.type === 'fail') {
          stats.cases++
          next = m.i + 1
          if (m.type === 'fail') {
            stats.failures.push(m)
            console.error(`${name} case ${m.i}: ${m.message}\n  input: ${m.input}`)
          } else if (m.accepted) stats.accepted++
          else {
            stats.rejected++
            stats.kinds.set(m.kind, (stats.kinds.get(m.kind) ?? 0) + 1)
          }
          if (stats.cases % 1000 === 0) console.error(`${name}: ${stats.cases} cases, ${stats.failures.length} failures, ${((performance.now() - started) / 1000).toFixed(0)} s`)
        } else if (m.type === 'end') next = from + runs
      })
      worker.on('error', (error) => {
        // An exception that escaped the case (thrown from a timer, say) kills the worker: a failure of that case.
        stats.failures.push({i: current, message: `worker died: ${error.message}`})
        console.error(`${name} case ${current}: worker died: ${error.message}`)
        stats.cases++
        next = current + 1
      })
      worker.on('exit', () => {
        clearTimeout(watchdog)
        resolve()
      })
    })
  }
  clearInterval(rssTimer)
  stats.seconds = (performance.now() - started) / 1000
  return stats
}

function summary(all, command, codecs) {
  const count = (s, pattern) => s.failures.filter((f) => pattern.test(f.message)).length
  const rows = all.map(
    (s) =>
      `| ${s.name} | ${s.cases} | ${s.accepted} | ${s.rejected} (${s.kinds.size} kinds) | **${s.failures.length}** | ${count(s, /^uncaught|^worker died/)} | ${count(s, /^hang/)} | ${s.seconds.toFixed(1)} | ${(s.cases / s.seconds).toFixed(0)} | ${s.peakRssMB.toFixed(0)} |`,
  )
  const total = all.reduce((t, s) => ({cases: t.cases + s.cases, rejected: t.rejected + s.rejected, seconds: t.seconds + s.seconds}), {cases: 0, rejected: 0, seconds: 0})
  const lines = [
    codecs ? '## Hostile-input fuzzing: FLAC, Ogg Vorbis, Ogg Opus and MP3 readers (issue 17)' : '## Hostile-input fuzzing (WAV reader, model directory, dataset reader)',
    '',
    `Command: \`${command}\` (generators: bench/fuzz-*.mjs, the same as test/fuzz-*.test.ts).`,
    `Machine: ${os.availableParallelism()}-core ${os.arch() === 'x64' ? 'x86-64' : os.arch()}, Node ${process.versions.node.split('.')[0]} (${machineLine}).`,
    '',
    `Property per case: accepted and usable, or rejected with a UserError of one line (<= 400 chars) naming the file; no uncaught exception; within the time budget (WAV 2 s, FLAC/Ogg/MP3 3 s, model 10 s, dataset 5 s; hang watchdog ${hangMs / 1000} s) and with peak RSS growing by <= 200 MB; a rejected model load leaves no tensors behind.${codecs ? ' A valid FLAC (written by bench/fuzz-codecs.mjs) reads back exactly; a valid Ogg/MP3 seed (test/fixtures/formats) is accepted as its format.' : ''}`,
    '',
    '| target | cases | accepted | rejected (errors caught) | failures | of which uncaught exceptions | of which hangs | time (s) | cases/s | peak RSS (MB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `In all: ${total.cases} cases, ${total.rejected} rejected with a one-line error, ${all.reduce((n, s) => n + s.failures.length, 0)} failures, ${total.seconds.toFixed(0)} s of wall time.`,
  ]
  for (const s of all) {
    const top = [...s.kinds].sort((a, b) => b[1] - a[1]).slice(0, 6)
    lines.push('', `Most frequent rejections, ${s.name}: ${top.map(([k, n]) => `${n} x "${k}"`).join('; ')}.`)
    for (const f of s.failures.slice(0, 5)) lines.push(`- FAILURE ${s.name} case ${f.i}: ${f.message.split('\n')[0].slice(0, 300)}`)
  }
  return lines.join('\n')
}

let machineLine = ''

if (!isMainThread) {
  await runWorker(workerData)
} else {
  const {values} = parseArgs({
    options: {
      runs: {type: 'string', default: '10000'},
      targets: {type: 'string', default: TARGETS.join(',')},
      seed: {type: 'string', default: '1'},
      from: {type: 'string', default: '0'},
      backend: {type: 'string', default: 'wasm'},
      'hang-seconds': {type: 'string', default: '60'},
      'no-write': {type: 'boolean', default: false},
    },
  })
  hangMs = Number(values['hang-seconds']) * 1000
  const options = {runs: Number(values.runs), seed: Number(values.seed), from: Number(values.from), backend: values.backend}
  const {machine, writeSection} = await import('./lib/results.mjs')
  machineLine = machine()
  const all = []
  for (const name of values.targets.split(',')) {
    if (![...TARGETS, ...CODEC_TARGETS, ...OTHER_TARGETS].includes(name)) throw new Error(`unknown target ${name} (choose from ${[...TARGETS, ...CODEC_TARGETS, ...OTHER_TARGETS].join(', ')})`)
    console.error(`${name}: ${options.runs} cases from ${options.from}, seed ${options.seed}`)
    all.push(await runTarget(name, options))
  }
  const command = `npm run build && node bench/fuzz.mjs ${process.argv.slice(2).join(' ')}`.trim()
  const codecs = values.targets === CODEC_TARGETS.join(',')
  const markdown = summary(all, command, codecs)
  console.log(markdown)
  const full = options.runs >= 10_000 && (codecs || values.targets === TARGETS.join(',')) && options.from === 0
  if (!values['no-write'] && full) writeSection(codecs ? 'fuzz-codecs' : 'fuzz', markdown)
  process.exitCode = all.some((s) => s.failures.length > 0) ? 1 : 0
}
