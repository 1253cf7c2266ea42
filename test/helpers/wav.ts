/** Hand-built WAV bytes, so tests can make every layout (and every broken one) the reader must handle. */
export interface RawWavSpec {
  formatTag?: number
  channels: number
  sampleRate: number
  bitsPerSample: number
  /** Interleaved sample bytes. */
  data: Uint8Array
  extensibleSubformat?: number
  /** Override the data chunk's declared size. */
  declaredDataSize?: number
  /** Chunks inserted between fmt and data (e.g. LIST). */
  extraChunks?: Array<{id: string; body: Uint8Array}>
}

export function buildWav(spec: RawWavSpec): Uint8Array {
  const extensible = spec.extensibleSubformat !== undefined
  const fmtSize = extensible ? 40 : 16
  const parts: Uint8Array[] = []
  const fmt = new DataView(new ArrayBuffer(8 + fmtSize))
  writeId(fmt, 0, 'fmt ')
  fmt.setUint32(4, fmtSize, true)
  const blockAlign = (spec.bitsPerSample / 8) * spec.channels
  fmt.setUint16(8, extensible ? 0xfffe : (spec.formatTag ?? 1), true)
  fmt.setUint16(10, spec.channels, true)
  fmt.setUint32(12, spec.sampleRate, true)
  fmt.setUint32(16, spec.sampleRate * blockAlign, true)
  fmt.setUint16(20, blockAlign, true)
  fmt.setUint16(22, spec.bitsPerSample, true)
  if (extensible) {
    fmt.setUint16(24, 22, true)
    fmt.setUint16(26, spec.bitsPerSample, true)
    fmt.setUint32(28, 0, true)
    fmt.setUint16(32, spec.extensibleSubformat!, true)
    // rest of the KSDATAFORMAT GUID
    const tail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]
    tail.forEach((b, i) => fmt.setUint8(34 + i, b))
  }
  parts.push(new Uint8Array(fmt.buffer))
  for (const chunk of spec.extraChunks ?? []) {
    const head = new DataView(new ArrayBuffer(8))
    writeId(head, 0, chunk.id)
    head.setUint32(4, chunk.body.length, true)
    parts.push(new Uint8Array(head.buffer), chunk.body)
    if (chunk.body.length % 2 === 1) parts.push(new Uint8Array(1))
  }
  const dataHead = new DataView(new ArrayBuffer(8))
  writeId(dataHead, 0, 'data')
  dataHead.setUint32(4, spec.declaredDataSize ?? spec.data.length, true)
  parts.push(new Uint8Array(dataHead.buffer), spec.data)
  const bodyLength = parts.reduce((n, p) => n + p.length, 0)
  const riff = new DataView(new ArrayBuffer(12))
  writeId(riff, 0, 'RIFF')
  riff.setUint32(4, 4 + bodyLength, true)
  writeId(riff, 8, 'WAVE')
  const out = new Uint8Array(12 + bodyLength)
  out.set(new Uint8Array(riff.buffer), 0)
  let pos = 12
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return out
}

function writeId(view: DataView, at: number, id: string): void {
  for (let i = 0; i < 4; i++) view.setUint8(at + i, id.charCodeAt(i))
}

/** Interleave channels of int16-unit values into sample bytes of the given encoding. */
export function encodeSamples(channels: number[][], bits: number, float = false): Uint8Array {
  const frames = channels[0].length
  const width = bits / 8
  const view = new DataView(new ArrayBuffer(frames * channels.length * width))
  let at = 0
  for (let i = 0; i < frames; i++) {
    for (const ch of channels) {
      const v = ch[i]
      if (float && bits === 32) view.setFloat32(at, v / 32768, true)
      else if (float) view.setFloat64(at, v / 32768, true)
      else if (bits === 8) view.setUint8(at, Math.round(v / 256) + 128)
      else if (bits === 16) view.setInt16(at, v, true)
      else if (bits === 24) {
        const s = Math.round(v * 256)
        view.setUint8(at, s & 0xff)
        view.setUint8(at + 1, (s >> 8) & 0xff)
        view.setInt8(at + 2, s >> 16)
      } else view.setInt32(at, Math.round(v * 65536), true)
      at += width
    }
  }
  return new Uint8Array(view.buffer)
}
