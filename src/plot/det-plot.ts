import {Canvas, type RGB, formatTick, textWidth} from './canvas.js'

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
 * The DET curve as a detector can run it: for each false-accept rate, the
 * fewest misses any threshold reaches at that rate or below. Points sorted by
 * false accepts, keeping only those that miss fewer than every point to their
 * left (the lower-left envelope), so the curve never rises as FA/h grows,
 * whatever order the thresholds put the raw points in.
 */
export function detEnvelope<P extends DetPoint>(points: readonly P[]): P[] {
  const sorted = [...points].sort((a, b) => a.faPerHour - b.faPerHour || a.frr - b.frr)
  const front: P[] = []
  for (const p of sorted) if (front.length === 0 || p.frr < front.at(-1)!.frr) front.push(p)
  return front
}

/**
 * A DET curve: false-reject rate (%) against false accepts per hour, drawn
 * as the staircase of detEnvelope, with the operating point and the FA/h target marked.
 * Both axes are logarithmic (false accepts from 0.1 per hour to the largest
 * rate seen, misses from 0.1% or below to 100%), as DET plots usually are, so
 * both a few per hour and hundreds per hour, and 1% and 50% misses, stay
 * readable; zero false accepts sits on the left edge, zero misses on the bottom.
 */
export function drawDetCurve(points: readonly DetPoint[], options: {operating?: DetPoint; targetFaPerHour?: number; title?: string; maxFaPerHour?: number} = {}): Canvas {
  const width = 900
  const height = 600
  const left = 90
  const top = 70
  const plotW = width - left - 40
  const plotH = height - top - 90
  const canvas = new Canvas(width, height)
  const minFa = 0.1
  const observedMax = Math.max(10, ...points.map((p) => p.faPerHour))
  const maxFa = options.maxFaPerHour ?? 10 ** Math.ceil(Math.log10(observedMax))
  const span = Math.log10(maxFa) - Math.log10(minFa)
  // Zero is no point on a log axis: it gets its own tick, a gap before the first decade.
  const zeroGap = 40
  const logW = plotW - zeroGap
  const x = (fa: number) => (fa <= 0 ? left : left + zeroGap + ((Math.log10(Math.min(Math.max(fa, minFa), maxFa)) - Math.log10(minFa)) / span) * logW)
  // Misses on a log axis too (in %), from a decade below the smallest non-zero miss rate (at least down to 0.1%) to 100%;
  // no misses sits on the bottom edge, as no false accepts sits on the left one.
  const smallest = Math.min(0.1, ...points.filter((p) => p.frr > 0).map((p) => 100 * p.frr))
  const minPct = 10 ** Math.floor(Math.log10(smallest))
  const ySpan = 2 - Math.log10(minPct)
  const logH = plotH - zeroGap
  const y = (frr: number) => (frr <= 0 ? top + plotH : top + logH - ((Math.log10(Math.max(100 * frr, minPct)) - Math.log10(minPct)) / ySpan) * logH)
  canvas.text('0', x(0), top + plotH + 10, BLACK, 2, 'center')
  canvas.text('0', left - 10, y(0) - 7, BLACK, 2, 'right')

  // 2 and 5 get labels too when a decade is wide enough for them at the same size.
  const labelMinor = logW / span >= 180
  for (let decade = minFa; decade <= maxFa * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const t = decade * m
      if (t > maxFa * 1.0001) break
      canvas.line(x(t), top, x(t), top + plotH, GREY)
      if (m === 1 || labelMinor) canvas.text(formatTick(Number(t.toPrecision(3))), x(t), top + plotH + 10, BLACK, 2, 'center')
    }
  }
  for (let decade = minPct; decade <= 100.0001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const t = Number((decade * m).toPrecision(3))
      if (t > 100.0001) break
      canvas.line(left, y(t / 100), left + plotW, y(t / 100), GREY)
      canvas.text(formatTick(t), left - 10, y(t / 100) - 7, BLACK, 2, 'right')
    }
  }
  canvas.line(left, top, left, top + plotH, BLACK)
  canvas.line(left, top + plotH, left + plotW, top + plotH, BLACK)
  const xLabel = 'false accepts per hour (log scale)'
  canvas.text(xLabel, left + plotW - textWidth(xLabel), top + plotH + 40, BLACK)
  canvas.text('missed % (log scale)', 10, top - 28, BLACK)
  if (options.title) canvas.text(options.title, left, 10, BLACK)

  if (options.targetFaPerHour !== undefined) {
    canvas.line(x(options.targetFaPerHour), top, x(options.targetFaPerHour), top + plotH, GREEN, true)
    canvas.text(`target ${formatTick(options.targetFaPerHour)}/h`, x(options.targetFaPerHour) + 6, top + 6, GREEN)
  }
  // A staircase: from each envelope point across at its miss rate, then down to the next one's.
  const front = detEnvelope(points)
  const thick = (x0: number, y0: number, x1: number, y1: number): void => {
    for (let d = -1; d <= 1; d++) canvas.line(x0 + (x0 === x1 ? d : 0), y0 + (y0 === y1 ? d : 0), x1 + (x0 === x1 ? d : 0), y1 + (y0 === y1 ? d : 0), BLUE)
  }
  for (let i = 1; i < front.length; i++) {
    const a = front[i - 1]
    const b = front[i]
    thick(x(a.faPerHour), y(a.frr), x(b.faPerHour), y(a.frr))
    thick(x(b.faPerHour), y(a.frr), x(b.faPerHour), y(b.frr))
  }
  if (front.length > 0) thick(x(front.at(-1)!.faPerHour), y(front.at(-1)!.frr), left + plotW, y(front.at(-1)!.frr))
  for (const p of front) canvas.fillRect(Math.round(x(p.faPerHour)) - 3, Math.round(y(p.frr)) - 3, 7, 7, BLUE)
  if (options.operating) {
    const o = options.operating
    canvas.fillRect(Math.round(x(o.faPerHour)) - 5, Math.round(y(o.frr)) - 5, 11, 11, RED)
    const label = `threshold ${formatTick(Number(o.threshold.toFixed(3)))}`
    const nearRight = x(o.faPerHour) + 10 + textWidth(label) > width
    canvas.text(label, nearRight ? x(o.faPerHour) - 10 : x(o.faPerHour) + 10, Math.max(top, y(o.frr) - 24), RED, 2, nearRight ? 'right' : 'left')
  }
  return canvas
}
