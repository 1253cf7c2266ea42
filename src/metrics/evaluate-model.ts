import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {readAudio} from '../audio/read.js'
import {bestPathDecode, prefixBeamSearch} from '../ctc/decode.js'
import {readDataset} from '../dataset/manifest.js'
import {decodeTokens, inVocabulary} from '../dataset/phrases.js'
import {outputStepSeconds} from '../model/config.js'
import type {Detector} from '../model/model-dir.js'
import {predictClip, predictLong} from '../model/predict.js'
import type {TriggerParams} from '../stream/trigger.js'
import {InputError} from '../util/errors.js'
import {type EditCounts, type ErrorRate, combineErrorRates, editCounts} from './edit-distance.js'
import {
  DEFAULT_MATCH_WINDOW,
  type MatchWindow,
  type OperatingPoint,
  type ScoredAudio,
  defaultThresholds,
  detCurve,
  evaluateAt,
  percentile,
  perStepAccuracy,
  pointForTargetFA,
} from './events.js'

export interface EvaluationOptions {
  /** Synthesized test sets (their manifests say where every trigger ends). */
  datasets: string[]
  /** Folders (searched recursively) or files of non-trigger audio. */
  negatives: string[]
  trigger: TriggerParams
  targetFaPerHour: number
  window?: MatchWindow
  onProgress?: (done: number, total: number, what: string) => void
}

export interface LatencySummary {
  count: number
  medianMs: number
  p90Ms: number
  maxMs: number
}

export interface EvaluationReport {
  model: string
  trigger: TriggerParams
  window: MatchWindow
  data: {examples: number; triggers: number; seconds: number}
  negatives: {files: number; seconds: number}
  atThreshold: Omit<OperatingPoint, 'latenciesSec'> & {latency: LatencySummary}
  /** The course's metric on the synthesized sets, with the all-zeros baseline beside it. */
  perStepAccuracy: {model: number; allZeros: number} | null
  target: {faPerHour: number; point: Omit<OperatingPoint, 'latenciesSec'> | null}
  det: Array<Omit<OperatingPoint, 'latenciesSec'>>
  /** Only for a model with a CTC head, on test sets with transcripts. */
  transcription?: TranscriptionReport
}

/**
 * The token head against the manifests' transcripts (every placed word the
 * model's vocabulary can spell, in time order), each test example decoded whole (10 s, from a fresh state).
 * Corpus rates: total edits over total reference length.
 */
export interface TranscriptionReport {
  examples: number
  /** What `wer` and `cer` come from. */
  decoder: string
  beamWidth: number
  wer: ErrorRate
  /** Over characters of the words joined by single spaces. */
  cer: ErrorRate
  /** The same with best-path (greedy) decoding. */
  bestPath: {wer: ErrorRate; cer: ErrorRate}
  /** Examples whose beam-search transcript differs from the reference. */
  errors: Array<{file: string; reference: string; hypothesis: string}>
  /** Reference words left out because the model's vocabulary cannot spell them (it is trained to stay silent on them). */
  outOfVocabulary: number
}

export const EVAL_BEAM_WIDTH = 8

async function listWavs(path: string): Promise<string[]> {
  let st
  try {
    st = await stat(path)
  } catch {
    throw new InputError(path, 'no such file or folder')
  }
  if (st.isFile()) return [path]
  const out: string[] = []
  for (const entry of (await readdir(path, {withFileTypes: true})).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) out.push(...(await listWavs(full)))
    else if (/\.wav$/i.test(entry.name)) out.push(full)
  }
  return out
}

function withoutLatencies(p: OperatingPoint): Omit<OperatingPoint, 'latenciesSec'> {
  const {latenciesSec: _, ...rest} = p
  return rest
}

export function summarizeLatency(latenciesSec: readonly number[]): LatencySummary {
  const ms = latenciesSec.map((s) => s * 1000)
  return {count: ms.length, medianMs: percentile(ms, 0.5), p90Ms: percentile(ms, 0.9), maxMs: ms.length ? Math.max(...ms) : Number.NaN}
}

/** Run the detector over test sets and non-trigger audio and score it event by event. */
export async function evaluateModel(detector: Detector, options: EvaluationOptions): Promise<EvaluationReport> {
  const window = options.window ?? DEFAULT_MATCH_WINDOW
  const stepSec = outputStepSeconds(detector.config)
  const items: ScoredAudio[] = []
  let accuracySum = 0
  let zerosSum = 0
  let accuracyCount = 0
  let examples = 0
  let dataSeconds = 0

  const datasets = await Promise.all(options.datasets.map((d) => readDataset(d)))
  const negativeFiles = (await Promise.all(options.negatives.map((n) => listWavs(n)))).flat()
  const total = datasets.reduce((n, d) => n + d.entries.length, 0) + negativeFiles.length
  if (total === 0) throw new InputError(options.negatives[0] ?? options.datasets[0] ?? '(nothing)', 'no audio to evaluate on')
  let done = 0
  const vocabulary = detector.config.vocabulary
  const wordEdits: EditCounts[] = []
  const charEdits: EditCounts[] = []
  const greedyWordEdits: EditCounts[] = []
  const greedyCharEdits: EditCounts[] = []
  const transcriptErrors: TranscriptionReport['errors'] = []
  let outOfVocabulary = 0

  for (const dataset of datasets) {
    const ty = dataset.info.geometry.ty
    for (const [i, entry] of dataset.entries.entries()) {
      const file = join(dataset.dir, entry.file)
      const audio = await readAudio(file)
      const p = predictClip(detector, audio.samples)
      const durationSec = audio.samples.length / detector.config.features.sampleRate
      items.push({
        name: file,
        probabilities: p.trigger,
        stepSec,
        durationSec,
        truthsSec: entry.clips.filter((c) => c.trigger).map((c) => c.end / detector.config.features.sampleRate),
      })
      if (vocabulary && p.tokens) {
        const vocab = {unit: vocabulary.unit, tokens: vocabulary.tokens}
        const classes = vocabulary.tokens.length + 1
        const reference = entry.transcript.filter((w) => inVocabulary(w, vocab))
        outOfVocabulary += entry.transcript.length - reference.length
        const beam = decodeTokens(prefixBeamSearch(p.tokens, p.steps, classes, {blank: vocabulary.blank, beamWidth: EVAL_BEAM_WIDTH}).tokens.map((t) => t.token), vocab)
        const greedy = decodeTokens(bestPathDecode(p.tokens, p.steps, classes, {blank: vocabulary.blank}).tokens.map((t) => t.token), vocab)
        wordEdits.push(editCounts(reference, beam))
        charEdits.push(editCounts(Array.from(reference.join(' ')), Array.from(beam.join(' '))))
        greedyWordEdits.push(editCounts(reference, greedy))
        greedyCharEdits.push(editCounts(Array.from(reference.join(' ')), Array.from(greedy.join(' '))))
        if (wordEdits.at(-1)!.errors > 0) transcriptErrors.push({file, reference: reference.join(' '), hypothesis: beam.join(' ')})
      }
      if (p.steps > 0) {
        // Labels are at the course's 1375 steps; a model with another stride is compared step by step in time.
        const labels = labelsAtSteps(dataset.labels.subarray(i * ty, (i + 1) * ty), p.steps)
        accuracySum += perStepAccuracy(p.trigger, labels)
        zerosSum += perStepAccuracy(new Float32Array(p.steps), labels)
        accuracyCount++
      }
      examples++
      dataSeconds += durationSec
      options.onProgress?.(++done, total, file)
    }
  }

  let negativeSeconds = 0
  for (const file of negativeFiles) {
    const audio = await readAudio(file)
    const p = predictLong(detector, audio.samples)
    const durationSec = audio.samples.length / detector.config.features.sampleRate
    items.push({name: file, probabilities: p.trigger, stepSec, durationSec, truthsSec: []})
    negativeSeconds += durationSec
    options.onProgress?.(++done, total, file)
  }

  const at = evaluateAt(items, options.trigger, window)
  const det = detCurve(items, options.trigger, mergeThreshold(defaultThresholds(), options.trigger.threshold), window)
  const target = pointForTargetFA(det, options.targetFaPerHour)
  return {
    model: detector.dir,
    trigger: options.trigger,
    window,
    data: {examples, triggers: at.triggers, seconds: dataSeconds},
    negatives: {files: negativeFiles.length, seconds: negativeSeconds},
    atThreshold: {...withoutLatencies(at), latency: summarizeLatency(at.latenciesSec)},
    perStepAccuracy: accuracyCount ? {model: accuracySum / accuracyCount, allZeros: zerosSum / accuracyCount} : null,
    target: {faPerHour: options.targetFaPerHour, point: target ? withoutLatencies(target) : null},
    det: det.map(withoutLatencies),
    ...(wordEdits.length > 0
      ? {
          transcription: {
            examples: wordEdits.length,
            decoder: `prefix beam search (width ${EVAL_BEAM_WIDTH}) over each whole test example`,
            beamWidth: EVAL_BEAM_WIDTH,
            wer: combineErrorRates(wordEdits),
            cer: combineErrorRates(charEdits),
            bestPath: {wer: combineErrorRates(greedyWordEdits), cer: combineErrorRates(greedyCharEdits)},
            errors: transcriptErrors,
            outOfVocabulary,
          },
        }
      : {}),
  }
}

function mergeThreshold(thresholds: number[], extra: number): number[] {
  return [...new Set([...thresholds, extra])].sort((a, b) => a - b)
}

/** The label in force at each of `steps` equal steps over the same span (nearest earlier label step). */
export function labelsAtSteps(labels: Uint8Array, steps: number): Uint8Array {
  if (labels.length === steps) return labels
  const out = new Uint8Array(steps)
  for (let s = 0; s < steps; s++) out[s] = labels[Math.min(labels.length - 1, Math.floor((s * labels.length) / steps))]
  return out
}

export function detCsv(report: EvaluationReport): string {
  const rows = ['threshold,frr,fa_per_hour,missed,triggers,false_accepts,non_trigger_hours']
  for (const p of report.det) rows.push([p.threshold, p.frr, p.faPerHour, p.missed, p.triggers, p.falseAccepts, p.nonTriggerHours].map((v) => Number(v.toPrecision(6))).join(','))
  return rows.join('\n') + '\n'
}
