export * from './canvas.js'
export * from './spectrogram-plot.js'
