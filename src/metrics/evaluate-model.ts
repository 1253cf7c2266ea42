import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {AUDIO_FILE} from '../audio/formats.js'
import {readAudio} from '../audio/read.js'
import {DEFAULT_TOKEN_DECODER, type TokenDecoder, decodeWith, describeDecoder} from '../ctc/decode.js'
import {readDataset} from '../dataset/manifest.js'
import {decodeTokens, inVocabulary} from '../dataset/phrases.js'
import {type VocabularyConfig, outputStepSeconds} from '../model/config.js'
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
  /** The model's other thresholds, by name (ModelConfig.thresholds): reported beside the one evaluated. */
  namedThresholds?: Record<string, number>
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
  /** With `atThreshold`: the false accepts of the --negatives audio alone (long non-trigger speech, say). */
  negatives: {files: number; seconds: number; falseAccepts?: number; faPerHour?: number}
  atThreshold: Omit<OperatingPoint, 'latenciesSec'> & {latency: LatencySummary}
  /** The course's metric on the synthesized sets, with the all-zeros baseline beside it. */
  perStepAccuracy: {model: number; allZeros: number} | null
  target: {faPerHour: number; point: Omit<OperatingPoint, 'latenciesSec'> | null}
  /** FRR and FA/h at each of the model's named thresholds. */
  named?: Array<{name: string} & Omit<OperatingPoint, 'latenciesSec'>>
  det: Array<Omit<OperatingPoint, 'latenciesSec'>>
  /** Only for a model with a CTC head, on test sets with transcripts. */
  transcription?: TranscriptionReport
}

/**
 * The token head against the manifests' transcripts (every placed word the
 * model's vocabulary can spell, in time order), each test example decoded
 * whole (10 s, from a fresh state).
 * Corpus rates: total edits over total reference length.
 */
export interface TranscriptionReport {
  examples: number
  /** What `wer` and `cer` come from, in words. */
  decoder: string
  wer: ErrorRate
  /** Over characters of the words joined by single spaces. */
  cer: ErrorRate
  /** The decoder `wer` and `cer` come from. */
  decoderConfig: TokenDecoder
  /** The same with plain best-path (greedy) decoding. */
  bestPath: {wer: ErrorRate; cer: ErrorRate}
  /** Every decoder evaluate tries, and the one with the fewest word errors here. */
  candidates: Array<{decoder: TokenDecoder; description: string; wer: ErrorRate; cer: ErrorRate}>
  bestDecoder: TokenDecoder
  /** Examples whose transcript (with the model's own decoder) differs from the reference. */
  errors: Array<{file: string; reference: string; hypothesis: string}>
  /** Reference words left out because the model's vocabulary cannot spell them (it is trained to stay silent on them). */
  outOfVocabulary: number
}

export const EVAL_BEAM_WIDTH = 8

/**
 * The audio files at a path: the file itself, or every .wav, .flac, .ogg,
 * .oga, .opus and .mp3 below a folder (recursively, sorted by name).
 */
export async function listWavs(path: string): Promise<string[]> {
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
    else if (AUDIO_FILE.test(entry.name)) out.push(full)
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
  const heads: TokenHeadOutput[] = []
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
        const reference = entry.transcript.filter((w) => inVocabulary(w, vocabulary))
        outOfVocabulary += entry.transcript.length - reference.length
        heads.push({file, tokens: p.tokens, steps: p.steps, reference})
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
  const negativeItems: ScoredAudio[] = []
  for (const file of negativeFiles) {
    const audio = await readAudio(file)
    const p = predictLong(detector, audio.samples)
    const durationSec = audio.samples.length / detector.config.features.sampleRate
    negativeItems.push({name: file, probabilities: p.trigger, stepSec, durationSec, truthsSec: []})
    negativeSeconds += durationSec
    options.onProgress?.(++done, total, file)
  }

  items.push(...negativeItems)
  const at = evaluateAt(items, options.trigger, window)
  const onNegatives = negativeItems.length > 0 ? evaluateAt(negativeItems, options.trigger, window) : undefined
  const det = detCurve(items, options.trigger, mergeThreshold(defaultThresholds(), options.trigger.threshold), window)
  const target = pointForTargetFA(det, options.targetFaPerHour)
  const named = Object.entries(options.namedThresholds ?? {}).map(([name, threshold]) => ({name, ...withoutLatencies(evaluateAt(items, {...options.trigger, threshold}, window))}))
  return {
    model: detector.dir,
    trigger: options.trigger,
    window,
    data: {examples, triggers: at.triggers, seconds: dataSeconds},
    negatives: {files: negativeFiles.length, seconds: negativeSeconds, ...(onNegatives ? {falseAccepts: onNegatives.falseAccepts, faPerHour: onNegatives.faPerHour} : {})},
    atThreshold: {...withoutLatencies(at), latency: summarizeLatency(at.latenciesSec)},
    perStepAccuracy: accuracyCount ? {model: accuracySum / accuracyCount, allZeros: zerosSum / accuracyCount} : null,
    target: {faPerHour: options.targetFaPerHour, point: target ? withoutLatencies(target) : null},
    ...(named.length > 0 ? {named} : {}),
    det: det.map(withoutLatencies),
    ...(vocabulary && heads.length > 0 ? {transcription: transcriptionReport(heads, vocabulary, outOfVocabulary)} : {}),
  }
}

/** One test example's token posteriors and the words of its reference the vocabulary can spell. */
export interface TokenHeadOutput {
  file: string
  tokens: Float32Array
  steps: number
  reference: string[]
}

/** The decoders evaluate compares: beam search, and best path after 1 to 9 steps of smoothing. */
export const DECODER_CANDIDATES: readonly TokenDecoder[] = [{kind: 'beam', beamWidth: EVAL_BEAM_WIDTH}, ...[1, 3, 5, 7, 9].map((smoothSteps) => ({kind: 'best-path' as const, smoothSteps}))]

function decoderErrors(heads: readonly TokenHeadOutput[], vocabulary: VocabularyConfig, decoder: TokenDecoder): {words: EditCounts[]; chars: EditCounts[]; hypotheses: string[][]} {
  const classes = vocabulary.tokens.length + 1
  const out = {words: [] as EditCounts[], chars: [] as EditCounts[], hypotheses: [] as string[][]}
  for (const h of heads) {
    const hyp = decodeTokens(decodeWith(decoder, h.tokens, h.steps, classes, vocabulary.blank).tokens.map((t) => t.token), vocabulary)
    out.words.push(editCounts(h.reference, hyp))
    out.chars.push(editCounts(Array.from(h.reference.join(' ')), Array.from(hyp.join(' '))))
    out.hypotheses.push(hyp)
  }
  return out
}

/**
 * WER and CER with the model's own decoder (rnn-wake.json, or beam search
 * for models that name none), beside every candidate decoder and the one
 * with the fewest word errors on this audio (what --write-threshold stores).
 */
export function transcriptionReport(heads: readonly TokenHeadOutput[], vocabulary: VocabularyConfig, outOfVocabulary: number): TranscriptionReport {
  const own = vocabulary.decoder ?? DEFAULT_TOKEN_DECODER
  const scored = (decoder: TokenDecoder) => ({decoder, description: describeDecoder(decoder), ...decoderErrors(heads, vocabulary, decoder)})
  const candidates = DECODER_CANDIDATES.map(scored)
  // The model's own decoder is usually one of the candidates: decode once.
  const mine = candidates.find((c) => c.description === describeDecoder(own)) ?? scored(own)
  const rates = candidates.map((c) => ({decoder: c.decoder, description: c.description, wer: combineErrorRates(c.words), cer: combineErrorRates(c.chars)}))
  const best = rates.reduce((a, b) => (b.wer.errors < a.wer.errors ? b : a))
  const raw = rates.find((c) => c.decoder.kind === 'best-path' && c.decoder.smoothSteps === 1)!
  return {
    examples: heads.length,
    decoder: `${mine.description} over each whole test example`,
    decoderConfig: own,
    wer: combineErrorRates(mine.words),
    cer: combineErrorRates(mine.chars),
    bestPath: {wer: raw.wer, cer: raw.cer},
    candidates: rates,
    bestDecoder: best.decoder,
    errors: heads.flatMap((h, i) => (mine.words[i].errors > 0 ? [{file: h.file, reference: h.reference.join(' '), hypothesis: mine.hypotheses[i].join(' ')}] : [])),
    outOfVocabulary,
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
