import {UserError} from '../util/errors.js'
import {getGnuspeechEngine} from './tts-gnuspeech.js'
import {getSvoxEngine} from './tts-svox.js'
import {ENGINE_NAMES, engineOf, getEngine, selectVoices, type ClipSettings, type EngineName, type Speaker, type SpokenClip, type TrimOptions, type VoiceCatalog, type VoiceChoice} from './tts.js'

/**
 * The synthesizers behind `rnn-wake tts --engine`: which ones a run uses,
 * their voices under engine-qualified names (svox:en-GB, gnuspeech:female;
 * a bare name is espeak's, as it always was), and one Speaker that hands each
 * clip to its engine.
 *
 * Licences: espeak-ng GPL-3.0, SVOX Pico Apache-2.0 (its lingware in
 * data/svox-pico/ likewise), GnuSpeech GPL-3.0.
 */

/**
 * "espeak", "svox,gnuspeech", "all", ...: the engines in their fixed order
 * (espeak, svox, gnuspeech), whatever order they are given in, so
 * "svox,espeak" and "espeak,svox" plan the same clips.
 */
export function parseEngines(text: string): EngineName[] {
  const names = text.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '')
  if (names.length === 0) throw new UserError(`No engine in "${text}": use ${ENGINE_NAMES.join(', ')} or all (or a comma list)`, 'usage')
  const chosen = new Set<EngineName>()
  for (const name of names) {
    if (name === 'all') ENGINE_NAMES.forEach((e) => chosen.add(e))
    else if ((ENGINE_NAMES as readonly string[]).includes(name)) chosen.add(name as EngineName)
    else throw new UserError(`Unknown engine "${name}": use ${ENGINE_NAMES.join(', ')} or all (or a comma list such as espeak,svox)`, 'usage')
  }
  return ENGINE_NAMES.filter((e) => chosen.has(e))
}

/** Loaded engines, one Speaker for all of them. */
export class TtsEngines implements Speaker {
  private constructor(private readonly speakers: ReadonlyMap<EngineName, Speaker & {catalog: VoiceCatalog}>) {}

  static async load(engines: readonly EngineName[]): Promise<TtsEngines> {
    const loaders: Record<EngineName, () => Promise<Speaker & {catalog: VoiceCatalog}>> = {espeak: getEngine, svox: getSvoxEngine, gnuspeech: getGnuspeechEngine}
    return new TtsEngines(new Map(await Promise.all(engines.map(async (e) => [e, await loaders[e]()] as const))))
  }

  get engines(): EngineName[] {
    return [...this.speakers.keys()]
  }

  catalog(engine: EngineName): VoiceCatalog {
    const speaker = this.speakers.get(engine)
    if (!speaker) throw new Error(`${engine} is not loaded`)
    return speaker.catalog
  }

  speak(settings: ClipSettings, trim: TrimOptions | false = {}): SpokenClip {
    const speaker = this.speakers.get(engineOf(settings))
    if (!speaker) throw new Error(`${engineOf(settings)} is not loaded`)
    return speaker.speak(settings, trim)
  }

  /**
   * The voices clips are drawn from, over every loaded engine. A name is
   * ENGINE:NAME (svox:en-GB, gnuspeech:baby, espeak:en-us+f3) or a bare
   * espeak name (en-us, f3, en-us+f3; see selectVoices). Each engine is
   * filtered by the names given for it: --voices keeps only the named voices
   * of an engine it names and leaves an engine it does not name whole;
   * --exclude-voices removes the named voices. Naming an engine that the run
   * does not use is an error.
   */
  selectVoices(include: readonly string[] = [], exclude: readonly string[] = []): VoiceChoice[] {
    const inc = include.filter((n) => n.trim() !== '').map((n) => this.splitName(n))
    const exc = exclude.filter((n) => n.trim() !== '').map((n) => this.splitName(n))
    const names = (list: typeof inc, engine: EngineName): string[] => list.filter((n) => n.engine === engine).map((n) => n.name)
    const pool: VoiceChoice[] = []
    for (const engine of this.engines) {
      const catalog = this.catalog(engine)
      if (engine === 'espeak') {
        pool.push(...selectVoices(catalog, names(inc, engine), names(exc, engine)))
        continue
      }
      const find = (name: string): string => {
        const voice = catalog.voices.find((v) => v.toLowerCase() === name.trim().toLowerCase())
        if (voice === undefined) throw new UserError(`Unknown voice "${engine}:${name.trim()}" (${engine} voices: ${catalog.voices.map((v) => `${engine}:${v}`).join(', ')})`, 'usage')
        return voice
      }
      const kept = names(inc, engine).map(find)
      const dropped = new Set(names(exc, engine).map(find))
      const voices = catalog.voices.filter((v) => (kept.length === 0 || kept.includes(v)) && !dropped.has(v))
      if (voices.length === 0) throw new UserError(`No ${engine} voice left: --voices and --exclude-voices together rule out every ${engine} voice`, 'usage')
      pool.push(...voices.map((voice) => ({engine, voice, variant: ''})))
    }
    return pool
  }

  private splitName(raw: string): {engine: EngineName; name: string} {
    const colon = raw.indexOf(':')
    if (colon < 0) return this.checkUsed({engine: 'espeak', name: raw}, raw)
    const engine = raw.slice(0, colon).trim().toLowerCase()
    if (!(ENGINE_NAMES as readonly string[]).includes(engine)) throw new UserError(`Unknown engine "${engine}" in the voice name "${raw.trim()}": use ${ENGINE_NAMES.map((e) => `${e}:NAME`).join(', ')} or a bare espeak name`, 'usage')
    return this.checkUsed({engine: engine as EngineName, name: raw.slice(colon + 1)}, raw)
  }

  private checkUsed(name: {engine: EngineName; name: string}, raw: string): {engine: EngineName; name: string} {
    if (!this.speakers.has(name.engine)) {
      const hint = name.engine === 'espeak' ? ' (a name without ENGINE: is an espeak voice)' : ''
      throw new UserError(`The voice "${raw.trim()}" is ${name.engine}'s${hint}, but --engine ${this.engines.join(',')} does not use ${name.engine}`, 'usage')
    }
    return name
  }
}
