import type {Spectrogram} from '../features/spectrogram.js'
import {Canvas, type RGB, formatTick, niceTicks, textWidth, viridis} from './canvas.js'

export interface SpectrogramPlotOptions {
  /** Seconds per frame (hop / sample rate). */
  frameSeconds: number
  /** Hz per bin (sample rate / nfft). */
  binHz: number
  /** Plot width in pixels of the image area (frames are pooled or stretched to fit). */
  width?: number
  /** Pixels per frequency bin. */
  binPixels?: number
  /** Dynamic range shown, in dB below the loudest cell. */
  rangeDb?: number
  title?: string
}

export interface PlotLayout {
  canvas: Canvas
  /** Left edge and width of the time axis in pixels, for plots stacked under it. */
  left: number
  plotWidth: number
  /** Seconds at the right edge. */
  duration: number
}

const MARGIN_LEFT = 90
const MARGIN_RIGHT = 90
const MARGIN_TOP = 40
const AXIS_BLACK: RGB = [0, 0, 0]

/**
 * A spectrogram as a person wants to see it: dB colour scale (viridis),
 * low frequencies at the bottom, time left to right, ticks in s and kHz,
 * and a colour bar. `extraHeight` leaves room below for a curve.
 */
export function drawSpectrogram(spec: Spectrogram, options: SpectrogramPlotOptions, extraHeight = 0): PlotLayout {
  const plotWidth = options.width ?? 1000
  const binPixels = options.binPixels ?? 3
  const rangeDb = options.rangeDb ?? 80
  const plotHeight = spec.bins * binPixels
  const axisBand = 50
  const height = MARGIN_TOP + plotHeight + axisBand + extraHeight
  const canvas = new Canvas(MARGIN_LEFT + plotWidth + MARGIN_RIGHT, height)
  const duration = spec.frames * options.frameSeconds

  // dB per cell; columns pool frames by max so short events stay visible when squeezed.
  const db = new Float64Array(spec.data.length)
  let top = -Infinity
  for (let i = 0; i < db.length; i++) {
    db[i] = 10 * Math.log10(spec.data[i] + 1e-30)
    if (db[i] > top) top = db[i]
  }
  if (!Number.isFinite(top)) top = 0
  const floor = top - rangeDb
  for (let x = 0; x < plotWidth; x++) {
    const f0 = Math.floor((x * spec.frames) / plotWidth)
    const f1 = Math.max(f0 + 1, Math.floor(((x + 1) * spec.frames) / plotWidth))
    for (let k = 0; k < spec.bins; k++) {
      let v = -Infinity
      for (let f = f0; f < f1 && f < spec.frames; f++) v = Math.max(v, db[f * spec.bins + k])
      const colour = viridis((v - floor) / rangeDb)
      const y0 = MARGIN_TOP + plotHeight - (k + 1) * binPixels
      canvas.fillRect(MARGIN_LEFT + x, y0, 1, binPixels, colour)
    }
  }

  if (options.title) canvas.text(options.title, MARGIN_LEFT, 10, AXIS_BLACK, 2)
  // Frequency axis in kHz.
  const maxKHz = ((spec.bins - 1) * options.binHz) / 1000
  for (const t of niceTicks(0, maxKHz, 6)) {
    const y = MARGIN_TOP + plotHeight - (t / maxKHz) * (spec.bins - 1) * binPixels - binPixels / 2
    canvas.line(MARGIN_LEFT - 6, y, MARGIN_LEFT - 1, y, AXIS_BLACK)
    canvas.text(formatTick(t), MARGIN_LEFT - 10, y - 7, AXIS_BLACK, 2, 'right')
  }
  canvas.text('kHz', MARGIN_LEFT - 10, MARGIN_TOP - 24, AXIS_BLACK, 2, 'right')
  drawTimeAxis(canvas, MARGIN_LEFT, plotWidth, MARGIN_TOP + plotHeight, duration)

  // Colour bar.
  const barX = MARGIN_LEFT + plotWidth + 15
  for (let y = 0; y < plotHeight; y++) canvas.fillRect(barX, MARGIN_TOP + y, 14, 1, viridis(1 - y / plotHeight))
  for (const t of niceTicks(floor, top, 5)) {
    const y = MARGIN_TOP + ((top - t) / rangeDb) * plotHeight
    canvas.text(formatTick(Math.round(t)), barX + 18, y - 7, AXIS_BLACK, 2)
  }
  canvas.text('dB', barX + 18, MARGIN_TOP - 14, AXIS_BLACK, 2)
  return {canvas, left: MARGIN_LEFT, plotWidth, duration}
}

export function drawTimeAxis(canvas: Canvas, left: number, width: number, y: number, duration: number): void {
  canvas.line(left, y, left + width, y, AXIS_BLACK)
  for (const t of niceTicks(0, duration, 10)) {
    const x = left + (t / duration) * width
    canvas.line(x, y, x, y + 6, AXIS_BLACK)
    canvas.text(formatTick(t), x, y + 10, AXIS_BLACK, 2, 'center')
  }
  const label = 'time (s)'
  canvas.text(label, left + width - textWidth(label, 2), y + 32, AXIS_BLACK, 2)
}
