import init, {type GnuspeechModule} from '@echogarden/gnuspeech-wasm/wasm/gnuspeech.js'
import {createHash} from 'node:crypto'

import {SAMPLE_RATE, decodeWav} from '../audio/index.js'
import {UserError} from '../util/errors.js'
import {lazyShared} from '../util/lazy.js'
import {deriveRng} from './rng.js'
import {checkEngineSettings, trimSilence, type ClipSettings, type Speaker, type SpokenClip, type TrimOptions, type VoiceCatalog} from './tts.js'

/**
 * Word clips from GnuSpeech (articulatory synthesis: a tube model of the
 * vocal tract driven by rules, GPL-3.0), compiled to WebAssembly by
 * @echogarden/gnuspeech-wasm, which embeds its English dictionary and voice
 * files: offline, in process.
 *
 * A clip is one text in one voice type (male, female, large_child,
 * small_child, baby) with a speaking rate, pitch and vocal tract length, each
 * in % of the voice's own. GnuSpeech reads its settings from files in its
 * virtual file system on every call, so each clip writes them: the control
 * model's `tempo` (rate / 100) and `pitch_offset` (the default -4 semitones
 * plus 12 log2(pitch / 100)), and the voice file's `vocal_tract_length`
 * (x tract / 100). It renders at 44.1 kHz (the TRM's output_rate) and
 * normalizes each clip to the same peak (-0.45 dBFS).
 *
 * Determinism. GnuSpeech's intonation drift and random intonation draw from
 * a generator it seeds from std::random_device, which emscripten answers with
 * crypto.getRandomValues. That call is answered, for the length of the
 * synchronous synthesis only, from a generator seeded by the clip's settings,
 * and the wasm memory is restored from a snapshot before each clip as for
 * espeak: each clip's bytes depend on its own settings only.
 */

const DATA_DIR = '/data/en'
const CONTROL_FILE = `${DATA_DIR}/trm_control_model.txt`
const OUTPUT_FILE = '/clip.wav'
const PARAMS_FILE = '/clip-params.txt'
/** GnuSpeech's voice types, from a man's to a baby's. */
const VOICES = ['male', 'female', 'large_child', 'small_child', 'baby'] as const
/** The control model's own pitch offset, semitones (trm_control_model.txt). */
const DEFAULT_PITCH_OFFSET = -4

export class GnuspeechEngine implements Speaker {
  readonly catalog: VoiceCatalog = {voices: [...VOICES], variants: ['']}

  private constructor(
    private readonly module: GnuspeechModule,
    private readonly controlFile: string,
    private readonly voiceFiles: ReadonlyMap<string, string>,
    private readonly snapshot: Uint8Array,
  ) {}

  static async create(): Promise<GnuspeechEngine> {
    const module = await init()
    const controlFile = module.FS.readFile(CONTROL_FILE, {encoding: 'utf8'})
    const voiceFiles = new Map(VOICES.map((v) => [v, module.FS.readFile(`${DATA_DIR}/voice_${v}.txt`, {encoding: 'utf8'})]))
    if (!/^output_rate = 44100/m.test(module.FS.readFile(`${DATA_DIR}/trm.txt`, {encoding: 'utf8'}))) throw new Error('GnuSpeech does not render at 44.1 kHz')
    return new GnuspeechEngine(module, controlFile, voiceFiles, module.HEAPU8.slice())
  }

  /** The WAV file GnuSpeech writes for `settings`, from the pristine engine state. */
  renderWav(settings: ClipSettings): Uint8Array {
    const m = this.module
    const tract = settings.tract ?? 100
    const pitchOffset = DEFAULT_PITCH_OFFSET + 12 * Math.log2(settings.pitch / 100)
    m.FS.writeFile(
      CONTROL_FILE,
      setting(setting(setting(this.controlFile, 'voice_name', settings.voice), 'tempo', (settings.rate / 100).toFixed(2)), 'pitch_offset', pitchOffset.toFixed(4)),
    )
    const voiceFile = this.voiceFiles.get(settings.voice)!
    const length = Number(/^vocal_tract_length = (\S+)$/m.exec(voiceFile)![1])
    m.FS.writeFile(`${DATA_DIR}/voice_${settings.voice}.txt`, setting(voiceFile, 'vocal_tract_length', ((length * tract) / 100).toFixed(3)))

    const heap = m.HEAPU8
    heap.set(this.snapshot)
    if (heap.length > this.snapshot.length) heap.fill(0, this.snapshot.length)
    const args = [settings.text, OUTPUT_FILE, DATA_DIR, PARAMS_FILE].map((text) => {
      const bytes = Buffer.from(`${text}\0`, 'utf8')
      const ptr = m._malloc(bytes.length)
      m.HEAPU8.set(bytes, ptr)
      return ptr
    })
    const rng = deriveRng('rnn-wake/tts-gnuspeech', createHash('sha256').update(JSON.stringify(settings)).digest('hex'))
    const random = globalThis.crypto
    const ownGetRandomValues = Object.getOwnPropertyDescriptor(random, 'getRandomValues')
    random.getRandomValues = <T extends ArrayBufferView | null>(view: T): T => {
      if (view) {
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
        for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256)
      }
      return view
    }
    try {
      m._GnuSpeech_synthesizeToFile(args[0], args[1], args[2], args[3], 0)
    } catch (error) {
      // A C++ exception reaches JavaScript as a bare pointer: nothing readable to add. The next clip restores the memory.
      if (typeof error !== 'number') throw error
      throw new UserError(`GnuSpeech could not speak "${settings.text}": its text parser found nothing it can say (try plain words)`, 'usage')
    } finally {
      if (ownGetRandomValues) Object.defineProperty(random, 'getRandomValues', ownGetRandomValues)
      else delete (random as {getRandomValues?: unknown}).getRandomValues
    }
    return m.FS.readFile(OUTPUT_FILE)
  }

  /** One clip at 44.1 kHz, trimmed; throws a UserError if GnuSpeech made no sound. */
  speak(settings: ClipSettings, trim: TrimOptions | false = {}): SpokenClip {
    checkEngineSettings(settings, 'gnuspeech', this.catalog)
    const {samples: raw} = decodeWav(this.renderWav(settings), `GnuSpeech's output for "${settings.text}"`)
    const samples = trim === false ? raw : trimSilence(raw, SAMPLE_RATE, trim)
    if (samples.length === 0) throw new UserError(`GnuSpeech produced no sound for "${settings.text}"`, 'usage')
    return {...settings, samples, duration: samples.length / SAMPLE_RATE}
  }
}

/** `file` with its `key = value` line set to `value`. */
function setting(file: string, key: string, value: string): string {
  const line = new RegExp(`^${key} = .*$`, 'm')
  if (!line.test(file)) throw new Error(`GnuSpeech's configuration has no ${key}`)
  return file.replace(line, `${key} = ${value}`)
}

/** The process-wide GnuSpeech engine (created on first use). */
export const getGnuspeechEngine: () => Promise<GnuspeechEngine> = lazyShared(() => GnuspeechEngine.create())
