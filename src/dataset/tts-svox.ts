import init, {type SvoxPicoModule} from '@echogarden/svoxpico-wasm'
import {readFileSync} from 'node:fs'

import {SAMPLE_RATE, resample} from '../audio/index.js'
import {UserError} from '../util/errors.js'
import {lazyShared} from '../util/lazy.js'
import {shipped} from '../util/paths.js'
import {checkEngineSettings, trimSilence, type ClipSettings, type Speaker, type SpokenClip, type TrimOptions, type VoiceCatalog} from './tts.js'

/**
 * Word clips from SVOX Pico (the Android synthesizer, Apache-2.0), compiled
 * to WebAssembly by @echogarden/svoxpico-wasm: offline, in process. The
 * package is the engine only; its English lingware (text analysis and
 * signal generation for en-US and en-GB, one adult female speaker each) is
 * shipped in data/svox-pico/.
 *
 * A clip is one text in one voice with a speaking rate, pitch and vocal
 * tract length, each in % of the voice's own. A Pico system runs one engine
 * at a time, so each voice has its own wasm instance. Rate and pitch are Pico's own
 * <speed> and <pitch> markup. The tract is a formant shift: Pico's 16 kHz
 * output is resampled as if it had been recorded at 16 kHz x 100/tract, which
 * scales formants, pitch and tempo by 100/tract together, so the markup asks
 * for rate and pitch x tract/100 to leave those where they were drawn.
 *
 * Determinism. Pico keeps state between texts (its text and signal buffers),
 * so the same word said twice on one engine differs. As with espeak
 * (tts.ts), each voice's instance is built once, its whole wasm memory (16 MB) copied,
 * and the copy written back before every clip (a few ms): each clip's bytes
 * depend on its own settings only. Pico draws no random numbers and reads no
 * clock.
 */

/** Pico's output rate. */
const NATIVE_RATE = 16_000
/** The lingware of each voice, in data/svox-pico/: text analysis, then signal generation. */
const VOICE_FILES: Record<string, readonly [string, string]> = {
  'en-GB': ['en-GB_ta.bin', 'en-GB_kh0_sg.bin'],
  'en-US': ['en-US_ta.bin', 'en-US_lh0_sg.bin'],
}
/** Memory Pico manages itself, holding one voice's lingware (pico2wave uses 2.5 MB). */
const PICO_MEMORY = 4_000_000
/**
 * Pico's volume, % (0..500; 100 is its default). At 100 the en-US voice
 * saturates on most words (peak 32767); at 50 peaks are -8..-1 dBFS. A few
 * low-pitched en-US clips (about 3 in 200, at most 14 samples each) still
 * touch full scale whatever the volume: they saturate before it applies.
 */
export const SVOX_VOLUME = 50
const PICO_STEP_BUSY = 201
const PICO_STEP_IDLE = 200
/** Longest text, UTF-8 bytes: putTextUtf8 takes an int16 size, and a clip is a word or a short phrase. */
const MAX_TEXT_BYTES = 2000

export class SvoxEngine implements Speaker {
  readonly catalog: VoiceCatalog = {voices: Object.keys(VOICE_FILES), variants: ['']}

  private constructor(private readonly voices: ReadonlyMap<string, SvoxVoice>) {}

  static async create(): Promise<SvoxEngine> {
    return new SvoxEngine(new Map(await Promise.all(Object.keys(VOICE_FILES).map(async (v) => [v, await SvoxVoice.create(v)] as const))))
  }

  /** One clip at 44.1 kHz, trimmed; throws a UserError if Pico made no sound. */
  speak(settings: ClipSettings, trim: TrimOptions | false = {}): SpokenClip {
    checkEngineSettings(settings, 'svox', this.catalog)
    if (Buffer.byteLength(settings.text, 'utf8') > MAX_TEXT_BYTES) throw new UserError(`The text "${settings.text.slice(0, 40)}..." is too long for a word clip`, 'usage')
    const native = this.voices.get(settings.voice)!.renderNative(settings)
    const recordedAt = (NATIVE_RATE * 100) / (settings.tract ?? 100)
    const upsampled = resample(Float64Array.from(native), recordedAt, SAMPLE_RATE)
    const samples = trim === false ? upsampled : trimSilence(upsampled, SAMPLE_RATE, trim)
    if (samples.length === 0) throw new UserError(`SVOX Pico produced no sound for "${settings.text}"`, 'usage')
    return {...settings, samples, duration: samples.length / SAMPLE_RATE}
  }
}

/** One voice in its own Pico system and wasm instance, rendering every clip from the same starting state. */
class SvoxVoice {
  private constructor(
    private readonly module: SvoxPicoModule,
    /** Pico engine handle. */
    private readonly engine: number,
    /** Scratch: the int16/int32 outputs of API calls, the audio buffer, the text. */
    private readonly scratch: {out: number; audio: number; audioBytes: number; text: number},
    private readonly snapshot: Uint8Array,
  ) {}

  static async create(voice: string): Promise<SvoxVoice> {
    const module = await init()
    const call = (what: string, status: number): void => {
      if (status !== 0) throw new Error(`SVOX Pico: ${what} failed (status ${status})`)
    }
    const cString = (text: string): number => {
      const bytes = Buffer.from(`${text}\0`, 'utf8')
      const ptr = module._malloc(bytes.length)
      module.HEAPU8.set(bytes, ptr)
      return ptr
    }
    const out = module._malloc(16)
    const memory = module._malloc(PICO_MEMORY)
    call('initialize', module._pico_initialize(memory, PICO_MEMORY, out))
    const system = module.getValue(out, 'i32')
    module.FS.mkdir('/lang')
    const nameBuffer = module._malloc(64)
    const voiceName = cString(voice)
    call(`defining voice ${voice}`, module._pico_createVoiceDefinition(system, voiceName))
    for (const file of VOICE_FILES[voice]) {
      module.FS.writeFile(`/lang/${file}`, readFileSync(shipped('data', 'svox-pico', file)))
      call(`loading ${file}`, module._pico_loadResource(system, cString(`/lang/${file}`), out))
      call(`naming ${file}`, module._pico_getResourceName(system, module.getValue(out, 'i32'), nameBuffer))
      call(`adding ${file} to ${voice}`, module._pico_addResourceToVoiceDefinition(system, voiceName, nameBuffer))
    }
    call(`starting voice ${voice}`, module._pico_newEngine(system, voiceName, out))
    const engine = module.getValue(out, 'i32')
    // Buffers are allocated before the snapshot, so they exist in every restored state.
    const audioBytes = 4096
    const scratch = {out, audio: module._malloc(audioBytes), audioBytes, text: module._malloc(MAX_TEXT_BYTES + 200)}
    return new SvoxVoice(module, engine, scratch, module.HEAPU8.slice())
  }

  /** Pico's raw output for `settings` (int16 at 16 kHz) from the pristine engine state. */
  renderNative(settings: ClipSettings): Int16Array {
    const m = this.module
    const heap = m.HEAPU8
    heap.set(this.snapshot)
    if (heap.length > this.snapshot.length) heap.fill(0, this.snapshot.length)
    const engine = this.engine
    const tract = settings.tract ?? 100
    const rate = Math.round((settings.rate * tract) / 100)
    const pitch = Math.round((settings.pitch * tract) / 100)
    // Markup characters in the text itself would be read as tags.
    const text = settings.text.replace(/[<>]/g, ' ')
    const marked = Buffer.from(`<volume level="${SVOX_VOLUME}"><speed level="${rate}"><pitch level="${pitch}">${text}</pitch></speed></volume>\0`, 'utf8')
    m.HEAPU8.set(marked, this.scratch.text)
    const chunks: Int16Array[] = []
    let total = 0
    let sent = 0
    while (sent < marked.length) {
      const put = m._pico_putTextUtf8(engine, this.scratch.text + sent, marked.length - sent, this.scratch.out)
      if (put !== 0) throw new Error(`SVOX Pico rejected the text "${settings.text}" (status ${put})`)
      sent += m.getValue(this.scratch.out, 'i16')
      for (;;) {
        const status = m._pico_getData(engine, this.scratch.audio, this.scratch.audioBytes, this.scratch.out, this.scratch.out + 4)
        const bytes = m.getValue(this.scratch.out, 'i16')
        if (bytes > 0) {
          const chunk = new Int16Array(bytes / 2)
          chunk.set(new Int16Array(m.HEAPU8.buffer, this.scratch.audio, bytes / 2))
          chunks.push(chunk)
          total += chunk.length
        }
        if (status === PICO_STEP_BUSY) continue
        if (status !== PICO_STEP_IDLE) throw new Error(`SVOX Pico failed on "${settings.text}" (status ${status})`)
        break
      }
    }
    const out = new Int16Array(total)
    let offset = 0
    for (const chunk of chunks) {
      out.set(chunk, offset)
      offset += chunk.length
    }
    return out
  }
}

/** The process-wide SVOX Pico engine (created on first use). */
export const getSvoxEngine: () => Promise<SvoxEngine> = lazyShared(() => SvoxEngine.create())
