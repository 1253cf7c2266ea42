export * from './canvas.js'
export * from './spectrogram-plot.js'
export * from './det-plot.js'
