import {PNG} from 'pngjs'

import {GLYPH_HEIGHT, GLYPH_WIDTH, glyph} from './font.js'

export type RGB = readonly [number, number, number]

/** An RGB raster with the few drawing primitives our plots need, encoded with pngjs. */
export class Canvas {
  readonly pixels: Uint8Array

  constructor(readonly width: number, readonly height: number, background: RGB = [255, 255, 255]) {
    this.pixels = new Uint8Array(width * height * 4)
    for (let i = 0; i < width * height; i++) {
      this.pixels[4 * i] = background[0]
      this.pixels[4 * i + 1] = background[1]
      this.pixels[4 * i + 2] = background[2]
      this.pixels[4 * i + 3] = 255
    }
  }

  set(x: number, y: number, c: RGB): void {
    x = Math.round(x)
    y = Math.round(y)
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return
    const i = 4 * (y * this.width + x)
    this.pixels[i] = c[0]
    this.pixels[i + 1] = c[1]
    this.pixels[i + 2] = c[2]
  }

  fillRect(x0: number, y0: number, w: number, h: number, c: RGB): void {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) this.set(x, y, c)
  }

  line(x0: number, y0: number, x1: number, y1: number, c: RGB, dashed = false): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))))
    for (let s = 0; s <= steps; s++) {
      if (dashed && Math.floor(s / 4) % 2 === 1) continue
      this.set(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, c)
    }
  }

  /** Text at (x, y) = top-left, scaled by an integer factor. align: where x sits on the text. */
  text(str: string, x: number, y: number, c: RGB = [0, 0, 0], scale = 2, align: 'left' | 'center' | 'right' = 'left'): void {
    const w = textWidth(str, scale)
    const left = align === 'left' ? x : align === 'center' ? x - w / 2 : x - w
    for (let i = 0; i < str.length; i++) {
      const rows = glyph(str[i])
      const gx = left + i * (GLYPH_WIDTH + 1) * scale
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (rows[r][col] === '1') this.fillRect(Math.round(gx + col * scale), Math.round(y + r * scale), scale, scale, c)
        }
      }
    }
  }

  toPng(): Uint8Array {
    const png = new PNG({width: this.width, height: this.height})
    png.data = Buffer.from(this.pixels.buffer, this.pixels.byteOffset, this.pixels.byteLength)
    return new Uint8Array(PNG.sync.write(png))
  }
}

export function textWidth(str: string, scale = 2): number {
  return str.length * (GLYPH_WIDTH + 1) * scale - scale
}

/** Viridis, sampled at 9 points and interpolated: perceptually even and readable in greyscale. */
const VIRIDIS: RGB[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
]

export function viridis(t: number): RGB {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1)
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x))
  const f = x - i
  const a = VIRIDIS[i]
  const b = VIRIDIS[i + 1]
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])]
}

/** "Nice" tick positions (1, 2, 5 x 10^n steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 8): number[] {
  const span = hi - lo
  if (!(span > 0)) return [lo]
  const raw = span / target
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const ticks: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) ticks.push(Number(v.toFixed(10)))
  return ticks
}

export function formatTick(v: number): string {
  return Number(v.toPrecision(6)).toString()
}
