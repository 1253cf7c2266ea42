import {Flags} from '@oclif/core'
import * as tf from '@tensorflow/tfjs'
import {mkdir} from 'node:fs/promises'

import {type Microphone, RECORDERS, type RecorderName, openMicrophone} from '../src/audio/microphone.js'
import {SAMPLE_RATE} from '../src/audio/read.js'
import {reconnectingMicrophone} from '../src/audio/reconnect.js'
import {type AudioChunks, openInput, paced, systemClock} from '../src/audio/source.js'
import {ClipSaver} from '../src/stream/clip-saver.js'
import {modelFlags, openDetector, transcriptFlags, transcriptOptions} from '../src/stream/command-support.js'
import {StreamingInference} from '../src/stream/inference.js'
import {type ListenEvent, type ListenSummary, listen} from '../src/stream/listener.js'
import {DetectionSession} from '../src/stream/session.js'
import {BaseCommand} from '../src/util/base-command.js'
import {ExitCode, UserError, describeError, exitCodesHelp} from '../src/util/errors.js'

export default class Listen extends BaseCommand {
  static override summary = 'Listen to the microphone (or a file, or stdin) and report the trigger word as it is said'

  static override description = `Streams mono 16-bit audio through the model and prints a line per detection: the wall-clock time, the stream time (seconds since listening started) and the score. A detection is reported the moment it fires, so its score is the highest probability up to then (detect, which sees the whole file, reports the word's peak: the same or higher). With a model that has a CTC head, a second line follows with what was said after the trigger, once about a second of silence (or --transcript-seconds) ends it: "activate -> lights on".

The microphone is read through arecord (alsa-utils), sox or rec, whichever is installed (--recorder picks one); --device selects an ALSA device such as plughw:1,0. It is opened at 44.1 kHz, or at 16 kHz for a speech-embedding model (its front end computes at 16 kHz, so nothing is resampled; the recorder converts from the device's rate, which a raw hw: device may refuse: use plughw: or --sample-rate 44100). --input FILE streams a WAV, FLAC, Ogg Vorbis, Ogg Opus or MP3 file, or raw s16le 44.1 kHz (.raw/.pcm), through exactly the same path (a 16-bit 44.1 kHz WAV from disk as it goes, the others decoded whole first), as fast as it can, or at the pace of the audio with --realtime; --input - reads a WAV, FLAC, Ogg or ID3-tagged MP3 or raw PCM from stdin.

--json prints one JSON object per line per event (detection, transcript, saved, hook-failed, and a final summary). --exec runs a shell command per detection (after its transcript with a CTC model) with RNN_WAKE_WORD, RNN_WAKE_SCORE, RNN_WAKE_TIME (stream seconds), RNN_WAKE_WALL_TIME, RNN_WAKE_INDEX and RNN_WAKE_TRANSCRIPT in its environment. --save-dir keeps ~2 s of audio around each detection as a WAV, to collect false activations and train on them.

On a terminal a live meter shows the trigger probability; off a terminal only events are printed. Ctrl-C stops cleanly and prints a summary (detections, seconds of audio, real-time factor).

${exitCodesHelp(['usage', 'badInput', 'badModel', 'device', 'output', 'interrupted'], {ok: 'end of --input, or stopped by SIGTERM', interrupted: 'the summary is printed first'})}`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --threshold real-speech',
    '<%= config.bin %> <%= command.id %> --device plughw:1,0 --exec \'notify-send "heard $RNN_WAKE_WORD"\'',
    '<%= config.bin %> <%= command.id %> --input data/demo/activate-demo.wav --json',
    'arecord -f S16_LE -r 44100 -c 1 -t raw | <%= config.bin %> <%= command.id %> --input -',
    '<%= config.bin %> <%= command.id %> --save-dir false-activations --threshold 0.6',
    '<%= config.bin %> <%= command.id %> --reconnect --device plughw:1,0',
  ]

  static override flags = {
    ...modelFlags,
    ...transcriptFlags,
    device: Flags.string({char: 'd', summary: 'Recording device (arecord: ALSA name such as plughw:1,0).', exclusive: ['input']}),
    recorder: Flags.string({summary: 'Recording program.', options: ['auto', ...RECORDERS], default: 'auto', exclusive: ['input']}),
    input: Flags.string({char: 'i', summary: 'Stream this audio file (WAV, FLAC, Ogg, MP3) or raw s16le file instead of the microphone ("-": stdin).'}),
    realtime: Flags.boolean({summary: 'With --input: feed the audio at its real pace instead of as fast as possible.', dependsOn: ['input']}),
    json: Flags.boolean({summary: 'One JSON object per line for each event, and a final summary.'}),
    exec: Flags.string({summary: 'Shell command to run for each detection, with RNN_WAKE_WORD, RNN_WAKE_SCORE, RNN_WAKE_TIME and RNN_WAKE_TRANSCRIPT in its environment (see DESCRIPTION).'}),
    'save-dir': Flags.string({summary: 'Save ~2 s of audio around each detection here (WAV).'}),
    meter: Flags.boolean({summary: 'Live confidence meter (default: on when stdout is a terminal).', allowNo: true}),
    stats: Flags.string({
      summary: 'Every N seconds of audio, report memory (RSS, JS heap) and the tf tensor count (for soak tests).',
      helpValue: 'SECONDS',
    }),
    reconnect: Flags.boolean({summary: 'When the recorder dies or the device vanishes, reopen it with back-off (1 s doubling to 30 s) instead of exiting.', exclusive: ['input']}),
    'sample-rate': Flags.integer({summary: 'Microphone sample rate in Hz (default: 16000 for a speech-embedding model, 44100 otherwise; a spectrogram model takes 44100 only).', min: 8000, max: 192_000, exclusive: ['input']}),
  }

  async run(): Promise<ListenSummary> {
    const {flags} = await this.parse(Listen)
    const transcript = transcriptOptions(flags)
    const {detector, backend, trigger, thresholdName} = await openDetector(flags, (line) => this.logToStderr(line))
    const {config} = detector
    // The microphone at the front end's own rate when it resamples inside (nothing to resample); files stream at 44.1 kHz as detect reads them.
    const sampleRate = flags.input === undefined ? (flags['sample-rate'] ?? detector.frontEnd.nativeRate ?? config.features.sampleRate) : config.features.sampleRate
    if (sampleRate !== config.features.sampleRate && detector.frontEnd.nativeRate === undefined) {
      throw new UserError(`--sample-rate ${sampleRate}: this model's spectrogram front end takes ${config.features.sampleRate} Hz audio only`, 'usage')
    }
    const inference = new StreamingInference(detector, {sampleRate})
    const session = new DetectionSession(inference, {trigger, transcript})

    // Before listening, so an unwritable --save-dir fails now rather than at the first detection.
    if (flags['save-dir']) {
      await mkdir(flags['save-dir'], {recursive: true}).catch((error: unknown) => {
        throw new UserError(`Cannot write ${flags['save-dir']}: ${describeError(error)}`, 'output')
      })
    }

    const abort = new AbortController()
    let mic: Microphone | undefined
    let chunks: AudioChunks
    if (flags.input !== undefined) {
      chunks = await openInput(flags.input, {chunkSamples: 4410})
      if (flags.realtime) chunks = paced(chunks, systemClock)
    } else {
      const open = () => openMicrophone({device: flags.device, recorder: flags.recorder as RecorderName | 'auto', sampleRate})
      if (flags.reconnect) {
        const reconnecting = reconnectingMicrophone(open, {
          clock: systemClock,
          signal: abort.signal,
          onRetry: (error, attempt, delayMs) => this.logToStderr(`${error.message}; reconnecting in ${(delayMs / 1000).toFixed(0)} s (attempt ${attempt})`),
        })
        mic = reconnecting
        chunks = reconnecting.chunks
      } else {
        const opened = open()
        mic = opened
        chunks = opened.chunks
      }
    }

    const json = flags.json
    const meter = !json && (flags.meter ?? Boolean(process.stdout.isTTY)) ? new Meter(process.stdout) : undefined
    const source = flags.input === undefined ? `the microphone (${mic!.recorder}${flags.device ? `, ${flags.device}` : ''}${sampleRate === SAMPLE_RATE ? '' : `, ${sampleRate / 1000} kHz`})` : flags.input === '-' ? 'stdin' : flags.input
    if (!json) this.logToStderr(`listening for "${config.word}" (threshold${thresholdName ? ` "${thresholdName}"` : ''} ${trigger.threshold}) on ${source}${flags.input === undefined ? '; Ctrl-C to stop' : ''}`)

    let ctrlC = false
    const stop = (): void => {
      abort.abort()
      mic?.stop()
    }
    const onSigint = (): void => {
      ctrlC = true
      stop()
    }
    process.once('SIGINT', onSigint)
    process.once('SIGTERM', stop)
    // A reader that went away (`listen --json | head -1`) ends listening like Ctrl-C, not with a stack trace.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') stop()
    })

    const print = (event: ListenEvent): void => {
      if (json) {
        process.stdout.write(`${JSON.stringify(toJson(event, config.word))}\n`)
        return
      }
      meter?.clear()
      const line = toText(event, config.word)
      if (event.type === 'detection' || event.type === 'transcript') this.log(line)
      else this.logToStderr(line)
    }

    const statsEvery = flags.stats === undefined ? 0 : Number(flags.stats)
    if (!(statsEvery >= 0) || !Number.isFinite(statsEvery)) throw new UserError(`--stats must be a number of seconds, got "${flags.stats}"`, 'usage')
    let nextStats = statsEvery

    let summary: ListenSummary
    try {
      summary = await listen({
        chunks,
        session,
        signal: abort.signal,
        saver: flags['save-dir'] ? new ClipSaver(flags['save-dir'], {sampleRate, word: config.word}) : undefined,
        exec: flags.exec ? {command: flags.exec, stdout: json ? 'stderr' : 'inherit'} : undefined,
        onEvent: print,
        onLevel: meter || statsEvery ? (p, t) => {
          meter?.show(p, trigger.threshold, t)
          if (statsEvery && t >= nextStats) {
            nextStats += statsEvery
            const stats = {type: 'stats', audioSeconds: Number(t.toFixed(3)), rssMB: Number((process.memoryUsage().rss / 2 ** 20).toFixed(1)), heapMB: Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)), tensors: tf.memory().numTensors}
            if (json) process.stdout.write(`${JSON.stringify(stats)}\n`)
            else this.logToStderr(`stats: ${stats.audioSeconds} s of audio, RSS ${stats.rssMB} MB, heap ${stats.heapMB} MB, ${stats.tensors} tensors`)
          }
        } : undefined,
      })
    } finally {
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', stop)
      meter?.clear()
      mic?.stop()
      inference.dispose()
    }

    if (json) {
      process.stdout.write(`${JSON.stringify({type: 'summary', backend, ...summary})}\n`)
    } else {
      const {detections, audioSeconds, realTimeFactor, interrupted} = summary
      this.logToStderr(
        `${interrupted ? 'stopped' : 'end of input'}: ${detections} detection${detections === 1 ? '' : 's'} in ${audioSeconds.toFixed(1)} s of audio, real-time factor ${realTimeFactor.toFixed(3)} (${backend})`,
      )
    }
    // Ctrl-C exits 130 as in every command (after the summary); SIGTERM, how a service manager stops it, exits 0.
    if (ctrlC) this.exit(ExitCode.interrupted)
    return summary
  }
}

function clock(d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

function toText(event: ListenEvent, word: string): string {
  switch (event.type) {
    case 'detection': {
      const d = event.detection
      return `${clock(event.wallClock)}  ${d.seconds.toFixed(2).padStart(8)} s  ${word}  score ${d.score.toFixed(3)}`
    }
    case 'transcript': {
      const t = event.transcript
      return `${clock(event.wallClock)}  ${t.detection.seconds.toFixed(2).padStart(8)} s  ${word} -> ${t.text || '(nothing)'}`
    }
    case 'saved':
      return `saved ${event.clip.path}`
    case 'hook-failed':
      return `--exec for detection ${event.detection.index} ${event.result.error ? `failed: ${event.result.error}` : `exited with code ${event.result.code}`}`
  }
}

function toJson(event: ListenEvent, word: string): Record<string, unknown> {
  switch (event.type) {
    case 'detection': {
      const {index, step, seconds, score} = event.detection
      return {type: 'detection', index, word, time: seconds, score, step, wallClock: event.wallClock.toISOString()}
    }
    case 'transcript': {
      const t = event.transcript
      return {type: 'transcript', index: t.detection.index, word, time: t.detection.seconds, text: t.text, tokens: t.tokens, endTime: t.endSeconds, ended: t.ended, wallClock: event.wallClock.toISOString()}
    }
    case 'saved':
      return {type: 'saved', index: event.clip.detection.index, path: event.clip.path, seconds: event.clip.seconds}
    case 'hook-failed':
      return {type: 'hook-failed', index: event.detection.index, code: event.result.code, error: event.result.error}
  }
}

/** One self-overwriting status line; redrawn at most ten times a second. */
class Meter {
  private last = 0
  private shown = false

  constructor(private readonly out: NodeJS.WriteStream) {}

  show(probability: number, threshold: number, seconds: number): void {
    const now = performance.now()
    if (now - this.last < 100) return
    this.last = now
    const width = 30
    const filled = Math.round(Math.min(1, Math.max(0, probability)) * width)
    const mark = Math.round(threshold * width)
    let bar = ''
    for (let i = 0; i < width; i++) bar += i === mark ? '|' : i < filled ? '#' : '.'
    this.out.write(`\r\x1b[K[${bar}] ${probability.toFixed(2)}  ${seconds.toFixed(1)} s`)
    this.shown = true
  }

  clear(): void {
    if (!this.shown) return
    this.out.write('\r\x1b[K')
    this.shown = false
  }
}
