/**
 * The part of @echogarden/espeak-ng-emscripten (which ships no types) that
 * src/dataset/tts.ts uses. Shapes checked against version 0.3.5.
 */
declare module '@echogarden/espeak-ng-emscripten' {
  export interface EspeakVoiceInfo {
    /** e.g. "English (America)". */
    name: string
    /** Path under espeak-ng-data/lang, e.g. "gmw/en-US". */
    identifier: string
    languages: Array<{priority: number; name: string}>
  }

  export interface ESpeakNGWorker {
    /** "language" or "language+variant"; returns 0 on success and keeps the previous voice otherwise. */
    set_voice(name: string): number
    /** Words per minute, 80..450. */
    set_rate(rate: number): number
    /** Base pitch, 0..100 (50 is the voice's own). */
    set_pitch(pitch: number): number
    /** Amplitude, 0..200 (100 is espeak's default). */
    set_volume(volume: number): number
    get_samplerate(): number
    /** Calls back with Int16 chunks; returning a truthy value aborts synthesis. */
    synthesize(text: string, callback: (samples: Int16Array, events: unknown[]) => boolean): void
    list_voices(): EspeakVoiceInfo[]
  }

  export interface ESpeakNGModule {
    eSpeakNGWorker: new () => ESpeakNGWorker
    /** The whole wasm memory; replaced by a new view when the memory grows. */
    HEAPU8: Uint8Array
    FS: {readdir(path: string): string[]}
  }

  const init: (moduleArg?: object) => Promise<ESpeakNGModule>
  export default init
}
