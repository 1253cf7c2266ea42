import {Canvas, type RGB, formatTick, niceTicks, textWidth} from './canvas.js'

export interface DetPoint {
  threshold: number
  frr: number
  faPerHour: number
}

const BLACK: RGB = [0, 0, 0]
const GREY: RGB = [200, 200, 200]
const BLUE: RGB = [31, 119, 180]
const RED: RGB = [214, 39, 40]
const GREEN: RGB = [44, 160, 44]

/**
 * A DET curve: false-reject rate (%) against false accepts per hour, one
 * point per threshold, with the operating point and the FA/h target marked.
 * The FA axis is logarithmic (0.1 to the largest rate seen), as DET plots
 * usually are, so both a few per hour and hundreds per hour stay readable;
 * zero false accepts sits on the left edge.
 */
export function drawDetCurve(points: readonly DetPoint[], options: {operating?: DetPoint; targetFaPerHour?: number; title?: string; maxFaPerHour?: number} = {}): Canvas {
  const width = 900
  const height = 600
  const left = 90
  const top = 50
  const plotW = width - left - 40
  const plotH = height - top - 90
  const canvas = new Canvas(width, height)
  const minFa = 0.1
  const observedMax = Math.max(10, ...points.map((p) => p.faPerHour))
  const maxFa = options.maxFaPerHour ?? 10 ** Math.ceil(Math.log10(observedMax))
  const span = Math.log10(maxFa) - Math.log10(minFa)
  const x = (fa: number) => (fa <= 0 ? left : left + ((Math.log10(Math.min(Math.max(fa, minFa), maxFa)) - Math.log10(minFa)) / span) * plotW)
  const y = (frr: number) => top + plotH - frr * plotH

  for (let decade = minFa; decade <= maxFa * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const t = decade * m
      if (t > maxFa * 1.0001) break
      canvas.line(x(t), top, x(t), top + plotH, GREY)
      canvas.text(formatTick(Number(t.toPrecision(3))), x(t), top + plotH + 10, BLACK, m === 1 ? 2 : 1, 'center')
    }
  }
  for (const t of niceTicks(0, 100, 10)) {
    canvas.line(left, y(t / 100), left + plotW, y(t / 100), GREY)
    canvas.text(formatTick(t), left - 10, y(t / 100) - 7, BLACK, 2, 'right')
  }
  canvas.line(left, top, left, top + plotH, BLACK)
  canvas.line(left, top + plotH, left + plotW, top + plotH, BLACK)
  const xLabel = 'false accepts per hour (log scale)'
  canvas.text(xLabel, left + plotW - textWidth(xLabel), top + plotH + 40, BLACK)
  canvas.text('frr %', 10, top - 30, BLACK)
  if (options.title) canvas.text(options.title, left, 12, BLACK)

  if (options.targetFaPerHour !== undefined) {
    canvas.line(x(options.targetFaPerHour), top, x(options.targetFaPerHour), top + plotH, GREEN, true)
    canvas.text(`target ${formatTick(options.targetFaPerHour)}/h`, x(options.targetFaPerHour) + 6, top + 6, GREEN)
  }
  const sorted = [...points].sort((a, b) => a.faPerHour - b.faPerHour || b.frr - a.frr)
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]
    const b = sorted[i]
    for (let d = -1; d <= 1; d++) canvas.line(x(a.faPerHour), y(a.frr) + d, x(b.faPerHour), y(b.frr) + d, BLUE)
  }
  for (const p of sorted) canvas.fillRect(Math.round(x(p.faPerHour)) - 2, Math.round(y(p.frr)) - 2, 5, 5, BLUE)
  if (options.operating) {
    const o = options.operating
    canvas.fillRect(Math.round(x(o.faPerHour)) - 5, Math.round(y(o.frr)) - 5, 11, 11, RED)
    const label = `threshold ${formatTick(Number(o.threshold.toFixed(3)))}`
    const nearRight = x(o.faPerHour) + 10 + textWidth(label) > width
    canvas.text(label, nearRight ? x(o.faPerHour) - 10 : x(o.faPerHour) + 10, Math.max(top, y(o.frr) - 24), RED, 2, nearRight ? 'right' : 'left')
  }
  return canvas
}
