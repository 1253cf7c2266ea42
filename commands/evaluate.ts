import {Flags} from '@oclif/core'
import {extname, join} from 'node:path'

import {CONFIG_FILE as MODEL_CONFIG_FILE, THRESHOLD_NAME, writeModelConfig} from '../src/model/config.js'
import {BACKEND_CHOICES, type BackendChoice, selectBackend} from '../src/model/backend.js'
import {DEFAULT_MODEL_DIR, type Detector, loadDetector} from '../src/model/model-dir.js'
import {falseAcceptResolution, hoursNeeded, supportsTarget} from '../src/metrics/calibrate.js'
import {type EvaluationReport, detCsv, evaluateModel} from '../src/metrics/evaluate-model.js'
import {drawDetCurve} from '../src/plot/det-plot.js'
import {parseThresholdFlag, thresholdFor} from '../src/stream/command-support.js'
import {writeFileAtomic} from '../src/util/atomic.js'
import {BaseCommand} from '../src/util/base-command.js'
import {UserError, exitCodesHelp} from '../src/util/errors.js'
import {createProgress} from '../src/util/progress.js'

export default class Evaluate extends BaseCommand {
  static override summary = 'Measure missed triggers against false accepts per hour'
  static override description = `Runs a model over synthesized test sets (--data: their manifests say where each trigger word ends) and over folders of non-trigger audio (--negatives: any WAV, FLAC, Ogg or MP3 files, searched recursively), and reports what users and the field judge a wake-word detector by: the false-reject rate (missed triggers / triggers) and false accepts per hour of non-trigger audio, at the model's threshold and over all thresholds (a DET curve), the threshold that meets a target FA/h, detection latency from the end of the word, and the course's per-step accuracy beside the all-zeros baseline.

For a model with a CTC token head (trained with --ctc-weight), each test example is also transcribed whole (10 s, prefix beam search of width 8) and compared with its manifest transcript (every placed word in time order): word and character error rates over the whole set (total edits / total reference length), with best-path decoding beside them.

A detection counts for a trigger when it comes between 0.5 s before and 1.0 s after the word's end; every other detection is a false accept.

False accepts per hour are only as fine as the audio is long: on H hours of non-trigger audio one false accept is 1/H FA/h (the report's "resolution" line). Seeing none in H hours shows, with 95% confidence, a rate below 3/H (the rule of three), so --write-threshold writes a threshold for --target-fa T only when there are at least 3/T hours of non-trigger audio (6 h for 0.5 FA/h, 3 h for 1 FA/h); on shorter audio it refuses (exit 2) unless --force.

${exitCodesHelp(['usage', 'badInput', 'badModel', 'output'])}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --model models/mine --data datasets/test',
    '<%= config.bin %> <%= command.id %> --model models/mine --data datasets/test --plot det.png --target-fa 0.5',
    '<%= config.bin %> <%= command.id %> --model models/mine-ensemble --data datasets/test --target-fa 0.5 --write-threshold',
    '<%= config.bin %> <%= command.id %> --model models/activate --data datasets/test --threshold real-speech --json > report.json',
  ]

  static override enableJsonFlag = true

  static override flags = {
    model: Flags.string({char: 'm', description: 'model directory (default: the shipped models/activate)'}),
    data: Flags.string({char: 'd', description: 'synthesized test set (repeatable)', multiple: true}),
    negatives: Flags.string({char: 'n', description: 'folder or audio file of non-trigger audio (repeatable)', multiple: true}),
    plot: Flags.string({description: 'write the DET curve as PNG (and the points as CSV beside it)'}),
    csv: Flags.string({description: 'write the DET curve points as CSV'}),
    'target-fa': Flags.string({description: 'false accepts per hour to find a threshold for', default: '0.5'}),
    'write-threshold': Flags.boolean({
      description: "store the threshold meeting --target-fa in the model's rnn-wake.json (and, with a CTC head, the decoder with the fewest word errors); refused when the non-trigger audio is shorter than 3 / --target-fa hours (see above)",
    }),
    force: Flags.boolean({description: 'with --write-threshold: write even when the non-trigger audio is too short for --target-fa', dependsOn: ['write-threshold']}),
    'threshold-name': Flags.string({
      description: 'with --write-threshold: store the threshold under this name beside the default (e.g. real-speech, calibrated on recordings of people), for "detect/listen --threshold NAME"; the default threshold and decoder stay as they are',
      dependsOn: ['write-threshold'],
    }),
    threshold: Flags.string({description: "evaluate at this threshold instead of the model's: a probability, or the name of a threshold the model carries"}),
    backend: Flags.string({description: 'tfjs backend (default: node if installed, else wasm)', options: [...BACKEND_CHOICES]}),
  }

  async run(): Promise<EvaluationReport & {resolution: Resolution}> {
    const {flags} = await this.parse(Evaluate)
    const datasets = flags.data ?? []
    const negatives = flags.negatives ?? []
    if (datasets.length === 0 && negatives.length === 0) throw new UserError('Nothing to evaluate on: give --data and/or --negatives', 'usage')
    const targetFa = parseNumber(flags['target-fa'], '--target-fa', 0)
    const thresholdChoice = flags.threshold === undefined ? undefined : parseThresholdFlag(flags.threshold)
    const thresholdName = flags['threshold-name']
    if (thresholdName !== undefined && !THRESHOLD_NAME.test(thresholdName)) throw new UserError(`--threshold-name must be lowercase letters, digits and "-", starting with a letter, not "${thresholdName}"`, 'usage')
    const backend = await selectBackend(flags.backend as BackendChoice | undefined)
    const detector = await loadDetector(flags.model ?? DEFAULT_MODEL_DIR)
    this.logToStderr(`model: ${detector.dir} (backend: ${backend})`)
    const trigger = {...detector.config.trigger}
    if (thresholdChoice !== undefined) trigger.threshold = thresholdFor(thresholdChoice, detector.config, detector.dir)

    const progress = createProgress(1, 'evaluating')
    let report: EvaluationReport
    try {
      report = await evaluateModel(detector, {
        datasets,
        negatives,
        trigger,
        targetFaPerHour: targetFa,
        namedThresholds: detector.config.thresholds,
        onProgress: (done, total) => progress.update(done, {total}),
      })
    } finally {
      progress.stop()
    }

    const resolution = resolutionOf(report.atThreshold.nonTriggerHours, targetFa)
    // Every refusal comes before the first file is written: an error leaves nothing behind.
    if (flags['write-threshold']) checkWritable(report, resolution, flags.force)
    const wrote: string[] = []
    if (flags.plot) {
      const png = drawDetCurve(report.det, {operating: report.atThreshold, targetFaPerHour: targetFa, title: `${detector.config.word}: FRR against FA/h`}).toPng()
      const csv = flags.csv ?? flags.plot.slice(0, flags.plot.length - extname(flags.plot).length) + '.csv'
      await writeFileAtomic(flags.plot, png)
      await writeFileAtomic(csv, detCsv(report))
      wrote.push(flags.plot, csv)
    } else if (flags.csv) {
      await writeFileAtomic(flags.csv, detCsv(report))
      wrote.push(flags.csv)
    }
    if (flags['write-threshold']) wrote.push(await writeThreshold(detector, report, thresholdName))
    if (!this.jsonEnabled()) {
      this.log(formatReport(report, flags['write-threshold'] ? (thresholdName ?? true) : false, resolution))
      for (const file of wrote) this.log(`  wrote ${file}`)
    }
    return {...report, resolution}
  }
}

/** How finely this audio measures false accepts, and whether that is fine enough for the target (src/metrics/calibrate.ts). */
export interface Resolution {
  /** Non-trigger hours the false accepts were counted on. */
  hours: number
  /** False accepts per hour that one false accept amounts to. */
  faPerHourPerFalseAccept: number
  targetFaPerHour: number
  /** Hours the target needs (3 / target). */
  hoursNeeded: number
  supportsTarget: boolean
}

function resolutionOf(hours: number, targetFaPerHour: number): Resolution {
  return {hours, faPerHourPerFalseAccept: falseAcceptResolution(hours), targetFaPerHour, hoursNeeded: hoursNeeded(targetFaPerHour), supportsTarget: supportsTarget(hours, targetFaPerHour)}
}

function checkWritable(report: EvaluationReport, r: Resolution, force: boolean): void {
  if (!r.supportsTarget && !force) {
    throw new UserError(
      `Not writing a threshold for ${r.targetFaPerHour} FA/h: ${minutes(r.hours)} of non-trigger audio is too short (one false accept = ${fa(r.faPerHourPerFalseAccept)} FA/h on it; ${r.targetFaPerHour} FA/h needs ${minutes(r.hoursNeeded)}, 3 / target hours); give more --negatives or --data audio, or pass --force`,
      'usage',
    )
  }
  if (!report.target.point) throw new UserError(`No threshold reaches ${r.targetFaPerHour} false accepts per hour on this audio; nothing written`, 'badInput')
}

/** Store the target's threshold in the model (as the default, with the best CTC decoder, or under a name); returns the file written. */
async function writeThreshold(detector: Detector, report: EvaluationReport, name: string | undefined): Promise<string> {
  const threshold = report.target.point!.threshold
  if (name === undefined) {
    const t = report.transcription
    // The token decoder is calibrated on the same audio: the one with the fewest word errors.
    const vocabulary = detector.config.vocabulary && t ? {...detector.config.vocabulary, decoder: t.bestDecoder} : detector.config.vocabulary
    await writeModelConfig(detector.dir, {...detector.config, trigger: {...detector.config.trigger, threshold}, ...(vocabulary ? {vocabulary} : {})})
  } else {
    await writeModelConfig(detector.dir, {...detector.config, thresholds: {...detector.config.thresholds, [name]: threshold}})
  }
  return join(detector.dir, MODEL_CONFIG_FILE)
}

const minutes = (hours: number) => (Number.isFinite(hours) ? `${(hours * 60).toFixed(1)} min` : 'unlimited time')
const fa = (v: number) => (Number.isFinite(v) ? (v >= 10 ? v.toFixed(0) : v.toFixed(2)) : 'infinitely many')

function parseNumber(text: string, flag: string, min: number, max = Infinity): number {
  const v = Number(text)
  if (!Number.isFinite(v) || v < min || v > max) throw new UserError(`${flag} must be a number in [${min}, ${max}], got "${text}"`, 'usage')
  return v
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`

/** wroteThreshold: true when the default threshold was written, a name when a named one was. */
export function formatReport(r: EvaluationReport, wroteThreshold: boolean | string = false, resolution = resolutionOf(r.atThreshold.nonTriggerHours, r.target.faPerHour)): string {
  const a = r.atThreshold
  const lines = [
    `audio: ${r.data.examples} test examples with ${r.data.triggers} triggers (${(r.data.seconds / 60).toFixed(1)} min), ${r.negatives.files} non-trigger files (${(r.negatives.seconds / 60).toFixed(1)} min); non-trigger time ${(a.nonTriggerHours * 60).toFixed(1)} min`,
    formatResolution(resolution),
    `at threshold ${r.trigger.threshold}: FRR ${pct(a.frr)} (${a.missed}/${a.triggers} missed), ${falseAccepts(a.falseAccepts)} = ${a.faPerHour.toFixed(2)} FA/h`,
    a.latency.count
      ? `latency from the end of the word: median ${a.latency.medianMs.toFixed(0)} ms, p90 ${a.latency.p90Ms.toFixed(0)} ms, max ${a.latency.maxMs.toFixed(0)} ms (${a.latency.count} detections)`
      : 'latency: no trigger was detected',
  ]
  if (r.transcription) {
    const t = r.transcription
    // With no word of the vocabulary in the reference (non-trigger audio only) a rate is undefined: every error is an insertion.
    const share = (e: {rate: number; errors: number; referenceLength: number}) => (e.referenceLength > 0 ? pct(e.rate) : `n/a (${e.errors} inserted)`)
    const rate = (e: {rate: number; errors: number; referenceLength: number}) => (e.referenceLength > 0 ? `${pct(e.rate)} (${e.errors}/${e.referenceLength})` : share(e))
    lines.push(
      `transcription (${t.decoder}, ${t.examples} examples): WER ${rate(t.wer)}, CER ${rate(t.cer)}; best path: WER ${rate(t.bestPath.wer)}, CER ${rate(t.bestPath.cer)}` +
        (t.outOfVocabulary > 0 ? ` (${t.outOfVocabulary} spoken words outside the model's vocabulary are not in the reference)` : ''),
      `  decoders: ${t.candidates.map((c) => `${c.description} ${share(c.wer)}`).join('; ')}`,
    )
  }
  for (const n of r.named ?? []) lines.push(`at the model's "${n.name}" threshold ${n.threshold}: FRR ${pct(n.frr)} (${n.missed}/${n.triggers} missed), ${falseAccepts(n.falseAccepts)} = ${n.faPerHour.toFixed(2)} FA/h`)
  if (r.perStepAccuracy) lines.push(`per-step accuracy (the course's metric): ${pct(r.perStepAccuracy.model)}; predicting all zeros scores ${pct(r.perStepAccuracy.allZeros)}`)
  const t = r.target.point
  lines.push(
    t
      ? `target ${r.target.faPerHour} FA/h: threshold ${t.threshold} gives FRR ${pct(t.frr)} at ${t.faPerHour.toFixed(2)} FA/h${resolution.supportsTarget ? '' : ' (this audio is too short to tell)'}${wroteThreshold === true ? ' (written to rnn-wake.json)' : wroteThreshold ? ` (written to rnn-wake.json as "${wroteThreshold}")` : ''}`
      : `target ${r.target.faPerHour} FA/h: no threshold reaches it on this audio`,
  )
  return lines.join('\n')
}

const falseAccepts = (n: number) => `${n} false accept${n === 1 ? '' : 's'}`

/** "resolution: one false accept = 23 FA/h on this audio; 1 FA/h needs 180.0 min of it (3 / target hours): too short". */
export function formatResolution(r: Resolution): string {
  if (r.hours <= 0) return 'resolution: no non-trigger audio, so false accepts per hour cannot be measured'
  const verdict = r.supportsTarget ? 'enough' : 'too short to set a threshold for it'
  return `resolution: one false accept = ${fa(r.faPerHourPerFalseAccept)} FA/h on this audio; a target of ${r.targetFaPerHour} FA/h needs ${minutes(r.hoursNeeded)} of it (3 / target hours): ${verdict}`
}
