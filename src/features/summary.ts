import {FORMAT_NAMES, type AudioFormat} from '../audio/formats.js'
import {type AudioInfo, SAMPLE_RATE} from '../audio/read.js'
import {COURSE_SPECTROGRAM, type Spectrogram, type SpectrogramParams} from './spectrogram.js'

export interface SpectrogramSummary {
  file: string
  format: AudioFormat
  durationSec: number
  sampleRate: number
  channels: number
  bitsPerSample: number
  encoding: 'int' | 'float'
  frames: number
  bins: number
}

export function summarize(info: AudioInfo, spec: Spectrogram): SpectrogramSummary {
  return {
    file: info.file,
    format: info.format,
    durationSec: info.durationSec,
    sampleRate: info.sampleRate,
    channels: info.channels,
    bitsPerSample: info.bitsPerSample,
    encoding: info.encoding,
    frames: spec.frames,
    bins: spec.bins,
  }
}

export function formatSummary(s: SpectrogramSummary): string {
  // The lossy codecs have no sample size of their own: their name says more.
  const kind = s.format === 'wav' || s.format === 'flac' ? `${s.format === 'flac' ? 'FLAC ' : ''}${s.bitsPerSample}-bit${s.encoding === 'float' ? ' float' : ''}` : FORMAT_NAMES[s.format]
  return `${s.file}: ${s.durationSec.toFixed(3)} s, ${s.sampleRate} Hz, ${s.channels} ch, ${kind} -> spectrogram ${s.frames} x ${s.bins}`
}

/** Time and frequency resolution of the features, derived (never copied) from the parameters. */
export function frameSeconds(params: SpectrogramParams = COURSE_SPECTROGRAM, sampleRate = SAMPLE_RATE): number {
  return params.hop / sampleRate
}

export function binHz(params: SpectrogramParams = COURSE_SPECTROGRAM, sampleRate = SAMPLE_RATE): number {
  return sampleRate / params.nfft
}

/** The spectrogram as float32 or float64, frames x bins, for .npy output. */
export function asNpyData(spec: Spectrogram, float64: boolean): Float32Array | Float64Array {
  return float64 ? spec.data : Float32Array.from(spec.data)
}
