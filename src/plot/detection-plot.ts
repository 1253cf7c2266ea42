import type {Spectrogram} from '../features/spectrogram.js'
import {type Canvas, type RGB, formatTick} from './canvas.js'
import {drawSpectrogram, drawTimeAxis} from './spectrogram-plot.js'

export interface DetectionPlotOptions {
  /** Seconds per spectrogram frame. */
  frameSeconds: number
  /** Hz per spectrogram bin. */
  binHz: number
  /** Seconds per model output step. */
  stepSeconds: number
  threshold: number
  /** Stream times of the detections, seconds. */
  detections: readonly number[]
  title?: string
  width?: number
}

const CURVE_HEIGHT = 180
const CURVE_TOP_GAP = 30
const CURVE: RGB = [31, 119, 180]
const THRESHOLD: RGB = [214, 39, 40]
const DETECTION: RGB = [255, 127, 14]
const AXIS: RGB = [0, 0, 0]
const GRID: RGB = [225, 225, 225]

/**
 * The course's picture of a detection: the spectrogram, and under it on the
 * same time axis the per-step trigger probability with the threshold as a
 * dashed line; each detection is a vertical mark through both.
 */
export function drawDetectionPlot(spec: Spectrogram, probabilities: ArrayLike<number>, options: DetectionPlotOptions): Canvas {
  const band = CURVE_TOP_GAP + CURVE_HEIGHT + 50
  const {canvas, left, plotWidth, duration} = drawSpectrogram(spec, {frameSeconds: options.frameSeconds, binHz: options.binHz, title: options.title, width: options.width}, band)
  const top = canvas.height - band + CURVE_TOP_GAP
  const bottom = top + CURVE_HEIGHT
  const xOf = (seconds: number) => left + (seconds / duration) * plotWidth
  const yOf = (p: number) => bottom - Math.min(1, Math.max(0, p)) * CURVE_HEIGHT

  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const y = yOf(tick)
    canvas.line(left, y, left + plotWidth, y, GRID)
    canvas.line(left - 6, y, left - 1, y, AXIS)
    canvas.text(formatTick(tick), left - 10, y - 7, AXIS, 2, 'right')
  }
  canvas.line(left, top, left, bottom, AXIS)
  canvas.text('p', left - 10, top - 24, AXIS, 2, 'right')

  const threshold = yOf(options.threshold)
  canvas.line(left, threshold, left + plotWidth, threshold, THRESHOLD, true)
  // Inside the plot, right-aligned above the line: the margin beside it fits only short labels ("0.9", not "0.68").
  canvas.text(`threshold ${formatTick(options.threshold)}`, left + plotWidth - 4, threshold - 18, THRESHOLD, 2, 'right')

  // Step i at i x stepSeconds, where detections (and the course's chime) are
  // placed, so marks sit on the curve; the step's window ends ~30 ms later.
  let previous: [number, number] | undefined
  for (let i = 0; i < probabilities.length; i++) {
    const point: [number, number] = [xOf(i * options.stepSeconds), yOf(probabilities[i])]
    if (point[0] > left + plotWidth) break
    if (previous) canvas.line(previous[0], previous[1], point[0], point[1], CURVE)
    else canvas.set(point[0], point[1], CURVE)
    previous = point
  }

  const specTop = 40 // drawSpectrogram's top margin
  for (const seconds of options.detections) {
    const x = xOf(seconds)
    canvas.line(x, specTop, x, bottom, DETECTION, true)
  }

  drawTimeAxis(canvas, left, plotWidth, bottom, duration)
  return canvas
}
