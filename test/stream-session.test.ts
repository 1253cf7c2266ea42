import {spectrogramFrontEnd} from '../src/features/front-end.js'
import type {FeatureConfig} from '../src/features/featurize.js'
import {mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readAudio} from '../src/audio/read.js'
import {featurize} from '../src/features/featurize.js'
import {openInput, samplesChunks} from '../src/audio/source.js'
import {writeWav16} from '../src/audio/write.js'
import {selectBackend} from '../src/model/backend.js'
import {ClipSaver} from '../src/stream/clip-saver.js'
import {StreamingInference} from '../src/stream/inference.js'
import {type ListenEvent, listen} from '../src/stream/listener.js'
import {DetectionSession, type SessionEvent, runChunks, runOffline} from '../src/stream/session.js'
import {TOY_SCRIPT, buildToyModel, toyAudio, toyConfig} from './helpers/toy-detector.js'

const dirs: string[] = []
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

beforeAll(async () => {
  await selectBackend()
})

afterAll(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true})
})

function streamingToy(ctc: boolean): StreamingInference {
  const model = buildToyModel(ctc)
  return new StreamingInference({dir: 'toy', model, networks: [model], config: toyConfig(ctc), frontEnd: spectrogramFrontEnd(toyConfig(ctc).features as FeatureConfig)})
}

function toySession(ctc: boolean, options: ConstructorParameters<typeof DetectionSession>[1] = {}): DetectionSession {
  return new DetectionSession(streamingToy(ctc), options)
}

function pushAll(session: DetectionSession, samples: Float64Array, chunk: (i: number) => number): SessionEvent[] {
  session.reset()
  const events: SessionEvent[] = []
  for (let at = 0, i = 0; at < samples.length; i++) {
    const n = chunk(i)
    events.push(...session.push(samples.subarray(at, at + n)).events)
    at += n
  }
  return [...events, ...session.finish()]
}

describe('detection session', () => {
  const clip = toyAudio(TOY_SCRIPT)

  it('the toy model fires once per trigger tone, at its start, and its offline curve agrees with model.predict', () => {
    const model = buildToyModel(false)
    const session = new DetectionSession(new StreamingInference({dir: 'toy', model, networks: [model], config: toyConfig(false), frontEnd: spectrogramFrontEnd(toyConfig(false).features as FeatureConfig)}))
    const run = runOffline(session, clip, {keepProbabilities: true})
    const f = featurize(clip, toyConfig(false).features)
    const expected = tf.tidy(() => (model.predict(tf.tensor3d(f.data, [1, f.frames, f.bins])) as tf.Tensor).dataSync())
    expect(run.probabilities!.length).toBe(expected.length)
    expect(run.probabilities!.every((p, i) => Math.abs(p - expected[i]) < 1e-4)).toBe(true)
    expect(run.detections.map((d) => d.index)).toEqual([1, 2])
    expect(run.detections[0].seconds).toBeGreaterThan(0.4)
    expect(run.detections[0].seconds).toBeLessThan(0.6)
    expect(run.detections[1].seconds).toBeGreaterThan(3.3)
    expect(run.detections[1].seconds).toBeLessThan(3.5)
    expect(run.detections[0].score).toBeGreaterThan(0.9)
    expect(run.transcripts).toEqual([])
    session.inference.dispose()
  })

  it('a file streamed from disk (runChunks over openInput) gives what the whole file gives (runOffline), transcripts included', async () => {
    const dir = tempDir('rw-chunks-')
    const file = join(dir, 'toy.wav')
    await writeWav16(file, clip)
    const session = toySession(true)
    const whole = runOffline(session, (await readAudio(file)).samples)
    const streamed = await runChunks(session, await openInput(file, {chunkSamples: 3000}))
    expect(whole.detections).toHaveLength(2)
    expect(streamed.detections).toEqual(whole.detections)
    expect(streamed.transcripts).toEqual(whole.transcripts)
    expect(streamed.steps).toBe(whole.steps)
    expect(streamed.samples).toBe(clip.length)
    session.inference.dispose()
  })

  it('with a CTC head: "activate -> lights on", then an empty transcript ended by silence; the same for any chunking', () => {
    const session = toySession(true)
    // A detection's peak comes once its word is over, in whichever push that is: the other events keep their order.
    const split = (events: SessionEvent[]) => [events.filter((e) => e.type !== 'peak'), events.filter((e) => e.type === 'peak')]
    const all = pushAll(session, clip, () => 4410)
    const [reference, peaks] = split(all)
    expect(reference.map((e) => e.type)).toEqual(['detection', 'transcript', 'detection', 'transcript'])
    expect(peaks).toEqual([{type: 'peak', index: 1, score: expect.any(Number)}, {type: 'peak', index: 2, score: expect.any(Number)}])
    for (const [i, p] of peaks.entries()) {
      const d = (reference.filter((e) => e.type === 'detection')[i] as Extract<SessionEvent, {type: 'detection'}>).detection
      expect((p as Extract<SessionEvent, {type: 'peak'}>).score).toBeGreaterThanOrEqual(d.score)
    }
    const [first, second] = reference.filter((e) => e.type === 'transcript').map((e) => (e as Extract<SessionEvent, {type: 'transcript'}>).transcript)
    expect(first.text).toBe('lights on')
    expect(first.ended).toBe('silence')
    expect(first.tokens.map((t) => t.text)).toContain('lights')
    expect(second.text).toBe('')
    let seed = 5
    const random = () => 1 + ((seed = (seed * 48271) % 2147483647) % 9000)
    expect(split(pushAll(session, clip, random))).toEqual([reference, peaks])
    expect(split(pushAll(session, clip, () => clip.length))).toEqual([reference, peaks])
    session.inference.dispose()
  })

  it('a transcript is cut at the time limit', () => {
    const session = toySession(true, {transcript: {maxSeconds: 0.3}})
    const events = pushAll(session, clip, () => 4410)
    const t = events.find((e) => e.type === 'transcript') as Extract<SessionEvent, {type: 'transcript'}>
    expect(t.transcript.ended).toBe('limit')
    expect(t.transcript.endSeconds - t.transcript.startSeconds).toBeCloseTo(0.3, 1)
    session.inference.dispose()
  })

  it('listen(): events in order, ~2 s clips saved around each detection, summary with the real-time factor', async () => {
    const dir = tempDir('rnn-wake-listen-')
    const session = toySession(true)
    const events: ListenEvent[] = []
    const summary = await listen({
      chunks: samplesChunks(clip, 2048),
      session,
      saver: new ClipSaver(dir, {sampleRate: 44_100, word: 'activate'}),
      onEvent: (e) => events.push(e),
    })
    expect(summary.detections).toBe(2)
    expect(summary.audioSeconds).toBeCloseTo(clip.length / 44_100, 6)
    expect(summary.realTimeFactor).toBeGreaterThan(0)
    expect(events.filter((e) => e.type === 'detection')).toHaveLength(2)
    const saved = events.filter((e) => e.type === 'saved').map((e) => (e as Extract<ListenEvent, {type: 'saved'}>).clip)
    expect(saved).toHaveLength(2)
    expect(readdirSync(dir).filter((f) => f.endsWith('.wav')).sort()).toEqual(saved.map((s) => s.path.slice(dir.length + 1)).sort())
    // 1.5 s before the detection (or from the start of the stream) to 0.5 s after it, the stream's own samples.
    for (const s of saved) {
      const audio = await readAudio(s.path)
      const at = Math.round(s.detection.seconds * 44_100)
      const from = Math.max(0, at - Math.round(1.5 * 44_100))
      expect(audio.samples.length).toBe(at + Math.round(0.5 * 44_100) - from)
      for (const i of [0, 1000, audio.samples.length - 1]) expect(audio.samples[i]).toBe(Math.round(clip[from + i]))
    }
    expect(saved.map((s) => s.seconds)).toEqual([expect.closeTo(0.99, 2), expect.closeTo(2, 2)])
    session.inference.dispose()
  })

  it('listen(): --exec runs a command per detection with the score, time and transcript in its environment', async () => {
    const dir = tempDir('rnn-wake-exec-')
    const log = join(dir, 'hook.log')
    writeFileSync(log, '')
    const session = toySession(true)
    await listen({
      chunks: samplesChunks(clip, 4410),
      session,
      exec: {command: `echo "$RNN_WAKE_INDEX|$RNN_WAKE_WORD|$RNN_WAKE_TIME|$RNN_WAKE_SCORE|$RNN_WAKE_TRANSCRIPT" >> ${log}`, stdout: 'stderr'},
      onEvent: () => {},
    })
    const lines = (await readFile(log, 'utf8')).trim().split('\n').sort()
    expect(lines).toHaveLength(2)
    const [index, word, time, score, transcript] = lines[0].split('|')
    expect([index, word, transcript]).toEqual(['1', 'activate', 'lights on'])
    expect(Number(time)).toBeGreaterThan(0.4)
    expect(Number(score)).toBeGreaterThan(0.9)
    session.inference.dispose()
  })

  it('listen() stops at once on abort, even while the source is waiting', async () => {
    const session = toySession(false)
    const abort = new AbortController()
    async function* stalled(): AsyncIterable<Float64Array> {
      yield clip.subarray(0, 44_100)
      await new Promise(() => {}) // a microphone that went quiet
    }
    setTimeout(() => abort.abort(), 50)
    const summary = await listen({chunks: stalled(), session, signal: abort.signal, onEvent: () => {}})
    expect(summary.interrupted).toBe(true)
    expect(summary.audioSeconds).toBe(1)
    session.inference.dispose()
  })

  it('tf tensor count is unchanged by a whole listen() run', async () => {
    const session = toySession(true)
    const before = tf.memory().numTensors
    await listen({chunks: samplesChunks(clip, 1000), session, onEvent: () => {}})
    expect(tf.memory().numTensors).toBe(before)
    session.inference.dispose()
  })
})
