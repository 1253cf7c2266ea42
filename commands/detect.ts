import {Args, Flags} from '@oclif/core'
import {basename, extname, join} from 'node:path'

import {overlayAt} from '../src/audio/chime.js'
import {SAMPLE_RATE, readAudio} from '../src/audio/read.js'
import {openInput} from '../src/audio/source.js'
import {writeWav16} from '../src/audio/write.js'
import {COURSE_SPECTROGRAM, spectrogram} from '../src/features/spectrogram.js'
import {isSpeechEmbedding} from '../src/features/front-end.js'
import {binHz, frameSeconds} from '../src/features/summary.js'
import {drawDetectionPlot} from '../src/plot/detection-plot.js'
import {modelFlags, openDetector, transcriptFlags, transcriptOptions} from '../src/stream/command-support.js'
import {StreamingInference} from '../src/stream/inference.js'
import {DetectionSession, runChunks, runOffline} from '../src/stream/session.js'
import type {TriggerParams} from '../src/stream/trigger.js'
import {writeFileAtomic} from '../src/util/atomic.js'
import {BaseCommand} from '../src/util/base-command.js'
import {UserError, exitCodesHelp} from '../src/util/errors.js'
import {shipped} from '../src/util/paths.js'

/** Samples per chunk pushed through the session (runOffline's default too). */
const CHUNK_SAMPLES = SAMPLE_RATE * 5

export interface DetectedEvent {
  index: number
  step: number
  seconds: number
  score: number
  transcript?: {text: string; tokens: Array<{text: string; startSeconds: number; endSeconds: number}>; startSeconds: number; endSeconds: number}
}

export interface DetectFileResult {
  file: string
  seconds: number
  steps: number
  detections: DetectedEvent[]
  chime?: string
  plot?: string
}

export interface DetectResult {
  model: string
  word: string
  backend: string
  trigger: TriggerParams
  files: DetectFileResult[]
}

export default class Detect extends BaseCommand {
  static override summary = 'Find the trigger word in audio files'

  static override description = `Runs the model over each file and prints every detection: the file, the time in seconds (the step at which it fired) and the score (the peak probability of the whole excursion above the threshold: the word's peak, which may come after the firing step). With a model that has a CTC head, the transcript of what followed each detection comes after "->" ("activate -> lights on").

Files may be WAV, FLAC, Ogg Vorbis, Ogg Opus or MP3 (told by content, not name; any rate, resampled to 44.1 kHz; channel 0). A 16-bit 44.1 kHz WAV streams from disk, so an hour-long recording is never held in memory, unless --chime or --plot needs all of it. Detection runs the same streaming path as "rnn-wake listen", so both report the same events for the same audio. Trigger settings come from the model directory (rnn-wake.json) unless --threshold, --min-steps, --refractory or --rearm-ratio override them; --threshold may also name a threshold the model carries (models/activate: --threshold real-speech, set on recordings of people).

--chime writes the input with a chime at each detection, as the course's chime_on_activate does; --plot draws the spectrogram with the probability curve and the threshold under it. With several input files, --chime and --plot name folders and each file gets <name>.wav / <name>.png.

${exitCodesHelp(['usage', 'badInput', 'badModel', 'output'], {ok: 'with or without detections'})}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> data/demo/activate-demo.wav',
    '<%= config.bin %> <%= command.id %> data/demo/activate-demo.wav --chime demo-chime.wav --plot demo.png',
    '<%= config.bin %> <%= command.id %> data/demo/*.wav --model models/mine --threshold 0.7 --json',
    '<%= config.bin %> <%= command.id %> data/demo/activate-demo.wav --threshold real-speech',
  ]

  static override strict = false
  static override enableJsonFlag = true

  static override args = {
    wav: Args.string({description: 'Audio file(s) to search (WAV, FLAC, Ogg Vorbis/Opus, MP3)', required: true}),
  }

  static override flags = {
    ...modelFlags,
    ...transcriptFlags,
    chime: Flags.string({summary: 'Write the input with a chime at each detection (a folder with several inputs).'}),
    plot: Flags.string({summary: 'Draw the spectrogram and the probability curve as PNG (a folder with several inputs).'}),
  }

  async run(): Promise<DetectResult> {
    const {argv, flags} = await this.parse(Detect)
    const files = argv as string[]
    const transcript = transcriptOptions(flags)
    const {detector, backend, trigger} = await openDetector(flags, (line) => this.logToStderr(line))
    const {config} = detector
    const inference = new StreamingInference(detector)
    const session = new DetectionSession(inference, {trigger, transcript})
    const many = files.length > 1
    const target = (option: string | undefined, file: string, ext: string): string | undefined => {
      if (!option) return undefined
      return many ? join(option, basename(file, extname(file)) + ext) : option
    }
    const chime = flags.chime ? (await readAudio(shipped('data', 'chime.wav'))).samples : undefined

    const results: DetectFileResult[] = []
    for (const file of files) {
      // Only the chime and the plot need the whole recording; without them a long file streams from disk.
      const whole = Boolean(flags.chime || flags.plot)
      const audio = whole ? await readAudio(file) : undefined
      const run = audio ? {...runOffline(session, audio.samples, {keepProbabilities: Boolean(flags.plot)}), samples: audio.samples.length} : await runChunks(session, await openInput(file, {chunkSamples: CHUNK_SAMPLES}))
      const transcripts = new Map(run.transcripts.map((t) => [t.detection.index, t]))
      const detections: DetectedEvent[] = run.detections.map((d) => {
        const t = transcripts.get(d.index)
        return {...d, ...(t ? {transcript: {text: t.text, tokens: t.tokens, startSeconds: t.startSeconds, endSeconds: t.endSeconds}} : {})}
      })
      const result: DetectFileResult = {file, seconds: run.samples / SAMPLE_RATE, steps: run.steps, detections}

      const chimePath = target(flags.chime, file, '.wav')
      if (chimePath && chime && audio) {
        let out = audio.samples
        for (const d of detections) out = overlayAt(out, chime, d.seconds * SAMPLE_RATE)
        await writeWav16(chimePath, out)
        result.chime = chimePath
      }

      const plotPath = target(flags.plot, file, '.png')
      if (plotPath && audio) {
        // The plot shows the audio's spectrogram whatever the model's front end reads.
        const plotSpectrogram = isSpeechEmbedding(config.features) ? COURSE_SPECTROGRAM : config.features.spectrogram
        const spec = spectrogram(audio.samples, plotSpectrogram)
        if (spec.frames < 2) throw new UserError(`Cannot plot ${file}: it is shorter than two spectrogram frames`, 'badInput')
        const canvas = drawDetectionPlot(spec, run.probabilities ?? [], {
          frameSeconds: frameSeconds(plotSpectrogram),
          binHz: binHz(plotSpectrogram),
          stepSeconds: inference.stepSeconds,
          threshold: trigger.threshold,
          detections: detections.map((d) => d.seconds),
          title: `${basename(file)}, word: ${config.word}`,
        })
        await writeFileAtomic(plotPath, canvas.toPng())
        result.plot = plotPath
      }

      this.log(formatFile(result, config.word))
      results.push(result)
    }
    inference.dispose()
    return {model: detector.dir, word: config.word, backend, trigger, files: results}
  }
}

function formatFile(result: DetectFileResult, word: string): string {
  const lines = result.detections.map((d) => {
    const said = d.transcript ? `  -> ${d.transcript.text || '(nothing)'}` : ''
    return `${result.file}  ${word} at ${d.seconds.toFixed(3)} s  score ${d.score.toFixed(3)}${said}`
  })
  if (lines.length === 0) lines.push(`${result.file}  no detections`)
  for (const path of [result.chime, result.plot]) if (path) lines.push(`  wrote ${path}`)
  return lines.join('\n')
}
