export * from './read.js'
export * from './resample.js'
export * from './write.js'
export {parseWavLayout, decodeChannel, WavFormatError, type WavLayout} from './wav-header.js'
