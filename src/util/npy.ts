/**
 * NumPy .npy format version 1.0 (little-endian, C order on write): what
 * `numpy.load` reads. Small enough that a dependency is not worth it.
 */

export type NpyArray = {dtype: 'f4' | 'f8' | 'u1' | 'i4'; shape: number[]; data: Float32Array | Float64Array | Uint8Array | Int32Array}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]

function dtypeOf(data: NpyArray['data']): NpyArray['dtype'] {
  if (data instanceof Float32Array) return 'f4'
  if (data instanceof Float64Array) return 'f8'
  if (data instanceof Int32Array) return 'i4'
  return 'u1'
}

export function encodeNpy(data: NpyArray['data'], shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== data.length) throw new Error(`npy shape ${shape.join('x')} does not match ${data.length} values`)
  const dtype = dtypeOf(data)
  const descr = dtype === 'u1' ? '|u1' : `<${dtype}`
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`
  // magic(6) + version(2) + header length(2) + header + '\n' is padded to a multiple of 64.
  const unpadded = 10 + header.length + 1
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + header.length + data.byteLength)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  out[8] = header.length & 0xff
  out[9] = header.length >> 8
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i)
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length)
  return out
}

export class NpyFormatError extends Error {}

/** Decode a .npy file; Fortran-ordered arrays are returned transposed into C order. */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyFormatError('not a .npy file')
  const major = bytes[6]
  const headerLength = major === 1 ? bytes[8] | (bytes[9] << 8) : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24)
  const headerStart = major === 1 ? 10 : 12
  if (headerStart + headerLength > bytes.length) throw new NpyFormatError('truncated header')
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength))
  const descr = /'descr':\s*'([<|>])([a-z]\d)'/.exec(header)
  const fortran = /'fortran_order':\s*True/.test(header)
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(header)
  if (!descr || !shapeMatch) throw new NpyFormatError('unreadable header')
  if (descr[1] === '>') throw new NpyFormatError('big-endian arrays are not supported')
  const dtype = descr[2] as NpyArray['dtype']
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number)
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new NpyFormatError(`bad shape (${shapeMatch[1].trim()})`)
  const count = shape.reduce((a, b) => a * b, 1)
  if (!Number.isSafeInteger(count)) throw new NpyFormatError(`shape (${shapeMatch[1].trim()}) is too large`)
  const start = headerStart + headerLength
  const width = {f4: 4, f8: 8, u1: 1, i4: 4}[dtype]
  if (width === undefined) throw new NpyFormatError(`unsupported dtype ${descr[2]}`)
  if (bytes.length - start < count * width) throw new NpyFormatError(`truncated data (expected ${count * width} bytes, found ${bytes.length - start})`)
  // A copy, aligned for the typed array (a Buffer.slice would be a misaligned view of a pooled buffer).
  const copy = Uint8Array.prototype.slice.call(bytes, start, start + count * width)
  const Ctor = {f4: Float32Array, f8: Float64Array, u1: Uint8Array, i4: Int32Array}[dtype]
  let data = new Ctor(copy.buffer, 0, count) as NpyArray['data']
  if (fortran && shape.length === 2) {
    const [rows, cols] = shape
    const c = new Ctor(count) as NpyArray['data']
    for (let r = 0; r < rows; r++) for (let col = 0; col < cols; col++) c[r * cols + col] = data[col * rows + r]
    data = c
  }
  return {dtype, shape, data}
}
