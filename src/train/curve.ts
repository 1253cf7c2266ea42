import {Canvas, type RGB, formatTick, niceTicks, textWidth} from '../plot/canvas.js'

/** The training-curve PNG kept in the model directory: loss per epoch, and validation misses and false accepts. */

export interface EpochRecord {
  epoch: number
  examples: number
  seconds: number
  loss: number
  valLoss: number
  valAccuracy: number
  threshold: number
  /** Consecutive steps above the threshold the trigger needs. */
  minSteps?: number
  triggers: number
  missed: number
  falseAccepts: number
  frr: number
  faPerHour: number
  /** At threshold 0.5, comparable across epochs and runs. */
  frrAtHalf?: number
  faPerHourAtHalf?: number
  /** With a token head: mean CTC loss per output step on the training batches. */
  ctcLoss?: number
  /** With a token head: validation word error rate of best-path decoding. */
  valWer?: number
}

interface Series {
  label: string
  color: RGB
  values: number[]
}

function panel(canvas: Canvas, top: number, height: number, title: string, epochs: number[], series: Series[]): void {
  const left = 80
  // Room on the right for the last epoch's label, centred on the edge of the plot.
  const right = canvas.width - 40
  const bottom = top + height - 40
  const plotTop = top + 30
  canvas.text(title, left, top + 6, [0, 0, 0], 2)
  const all = series.flatMap((s) => s.values).filter(Number.isFinite)
  const hi = all.length ? Math.max(...all) : 1
  const yTicks = niceTicks(0, hi > 0 ? hi : 1, 5)
  const yMax = Math.max(yTicks.at(-1) ?? 1, hi, 1e-9)
  const xMin = epochs[0] ?? 1
  const xMax = Math.max(epochs.at(-1) ?? 1, xMin + 1)
  const X = (e: number) => left + ((e - xMin) / (xMax - xMin)) * (right - left)
  const Y = (v: number) => bottom - (v / yMax) * (bottom - plotTop)
  canvas.line(left, bottom, right, bottom, [0, 0, 0])
  canvas.line(left, plotTop, left, bottom, [0, 0, 0])
  for (const t of yTicks) {
    canvas.line(left - 4, Y(t), left, Y(t), [0, 0, 0])
    canvas.line(left + 1, Y(t), right, Y(t), [225, 225, 225], true)
    canvas.text(formatTick(t), left - 8, Y(t) - 7, [0, 0, 0], 2, 'right')
  }
  for (const t of niceTicks(xMin, xMax, 8).filter(Number.isInteger)) {
    canvas.line(X(t), bottom, X(t), bottom + 4, [0, 0, 0])
    canvas.text(String(t), X(t), bottom + 8, [0, 0, 0], 2, 'center')
  }
  let legendX = left + textWidth(title, 2) + 30
  // The first series wide and solid, the others thin and dashed on top: where two coincide both still show.
  series.forEach((s, k) => {
    const first = k === 0
    canvas.fillRect(legendX, top + (first ? 8 : 12), 14, first ? 10 : 3, s.color)
    canvas.text(s.label, legendX + 20, top + 6, [0, 0, 0], 2)
    legendX += 40 + s.label.length * 12
    for (let i = 0; i < epochs.length; i++) {
      const v = s.values[i]
      if (!Number.isFinite(v)) continue
      const size = first ? 7 : 5
      canvas.fillRect(Math.round(X(epochs[i])) - (size >> 1), Math.round(Y(v)) - (size >> 1), size, size, s.color)
      if (i === 0 || !Number.isFinite(s.values[i - 1])) continue
      const [x0, y0, x1, y1] = [X(epochs[i - 1]), Y(s.values[i - 1]), X(epochs[i]), Y(v)]
      if (first) for (let d = -1; d <= 1; d++) canvas.line(x0, y0 + d, x1, y1 + d, s.color)
      else canvas.line(x0, y0, x1, y1, s.color, true)
    }
  })
}

export function trainingCurvePng(history: readonly EpochRecord[]): Uint8Array {
  const epochs = history.map((h) => h.epoch)
  const panels: Array<[string, Series[]]> = [
    ['loss per epoch', [
      {label: 'train', color: [31, 119, 180], values: history.map((h) => h.loss)},
      {label: 'validation', color: [255, 127, 14], values: history.map((h) => h.valLoss)},
    ]],
    // Misses and false accepts on their own axes: false accepts per hour run to thousands early on.
    ['missed triggers %', [
      {label: 'at chosen threshold', color: [214, 39, 40], values: history.map((h) => 100 * h.frr)},
      {label: 'at 0.5 (1 step)', color: [148, 103, 189], values: history.map((h) => 100 * (h.frrAtHalf ?? Number.NaN))},
    ]],
    ['false accepts / h', [
      {label: 'at chosen threshold', color: [44, 160, 44], values: history.map((h) => h.faPerHour)},
      {label: 'at 0.5 (1 step)', color: [140, 86, 75], values: history.map((h) => h.faPerHourAtHalf ?? Number.NaN)},
    ]],
  ]
  // The token head's own panels, only for runs that have one: its loss is per step and far below the total's scale.
  if (history.some((h) => h.ctcLoss !== undefined)) {
    panels.push(['ctc loss per step', [{label: 'train', color: [23, 190, 207], values: history.map((h) => h.ctcLoss ?? Number.NaN)}]])
  }
  if (history.some((h) => h.valWer !== undefined)) {
    panels.push(['validation wer %', [{label: 'token head', color: [188, 189, 34], values: history.map((h) => 100 * (h.valWer ?? Number.NaN))}]])
  }
  const canvas = new Canvas(800, panels.length * 310 + 20)
  panels.forEach(([title, series], i) => panel(canvas, i * 310, 300, title, epochs, series))
  canvas.text('epoch', canvas.width / 2, canvas.height - 14, [0, 0, 0], 2, 'center')
  return canvas.toPng()
}
