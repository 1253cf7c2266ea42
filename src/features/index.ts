export * from './spectrogram.js'
export * from './framer.js'
export * from './summary.js'
