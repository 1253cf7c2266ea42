/**
 * The parts of @echogarden/svoxpico-wasm and @echogarden/gnuspeech-wasm
 * (which ship no usable types) that src/dataset/tts-svox.ts and
 * tts-gnuspeech.ts use. Shapes checked against svoxpico-wasm 0.2.0 and
 * gnuspeech-wasm 0.3.0.
 */
declare module '@echogarden/svoxpico-wasm' {
  /** SVOX Pico's C API (picoapi.h), compiled by emscripten: pointers are byte offsets into HEAPU8. */
  export interface SvoxPicoModule {
    /** The whole wasm memory; replaced by a new view when the memory grows. */
    HEAPU8: Uint8Array
    FS: {mkdir(path: string): void; writeFile(path: string, data: Uint8Array): void}
    getValue(ptr: number, type: 'i16' | 'i32'): number
    _malloc(size: number): number
    _free(ptr: number): void
    _pico_initialize(memory: number, size: number, outSystem: number): number
    _pico_loadResource(system: number, fileName: number, outResource: number): number
    /** Writes the resource's name (at most 32 bytes with its NUL) to `outName`. */
    _pico_getResourceName(system: number, resource: number, outName: number): number
    _pico_createVoiceDefinition(system: number, voiceName: number): number
    _pico_addResourceToVoiceDefinition(system: number, voiceName: number, resourceName: number): number
    _pico_newEngine(system: number, voiceName: number, outEngine: number): number
    /** Text in UTF-8 with its NUL; `size` is an int16. Writes the bytes taken (int16) to `outBytesPut`. */
    _pico_putTextUtf8(engine: number, text: number, size: number, outBytesPut: number): number
    /** 16 kHz int16 samples; returns 201 (PICO_STEP_BUSY) while there is more, 200 (PICO_STEP_IDLE) when done, < 0 on error. */
    _pico_getData(engine: number, outBuffer: number, bufferSize: number, outBytesReceived: number, outDataType: number): number
  }

  const init: (moduleArg?: object) => Promise<SvoxPicoModule>
  export default init
}

declare module '@echogarden/gnuspeech-wasm/wasm/gnuspeech.js' {
  export interface GnuspeechModule {
    /** The whole wasm memory; replaced by a new view when the memory grows. */
    HEAPU8: Uint8Array
    FS: {
      readFile(path: string, options: {encoding: 'utf8'}): string
      readFile(path: string): Uint8Array
      writeFile(path: string, data: string | Uint8Array): void
      readdir(path: string): string[]
    }
    _malloc(size: number): number
    _free(ptr: number): void
    /** Speaks `text` (UTF-8, NUL-ended) into the WAV file `outputPath`, reading its configuration from `configDir`. */
    _GnuSpeech_synthesizeToFile(text: number, outputPath: number, configDir: number, paramPath: number, debug: number): void
  }

  const init: (moduleArg?: object) => Promise<GnuspeechModule>
  export default init
}
