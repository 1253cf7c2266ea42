import {AudioFormatError} from './formats.js'

/**
 * The Ogg container's own integrity check, before a decoder sees the bytes.
 * The decoders skip what they cannot parse (ogg-opus-decoder does not even
 * check page checksums) and decode a cut file to fewer samples without a
 * word, so the page walk here is what tells the user the file is corrupt or
 * truncated: every page starts with "OggS", fits in the file and matches
 * its CRC, and the last page ends the stream (its end-of-stream flag).
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let r = i << 24
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1
    table[i] = r >>> 0
  }
  return table
})()

/** Ogg's CRC-32 (polynomial 0x04c11db7, not reflected, no final xor) of a page with its CRC field zeroed. */
export function pageCrc(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0
  for (let i = start; i < end; i++) {
    const b = i - start >= 22 && i - start < 26 ? 0 : bytes[i]
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0
  }
  return crc
}

export interface OggSummary {
  pages: number
}

const HEADER = 27
const FLAG_EOS = 0x04

export function checkOgg(bytes: Uint8Array): OggSummary {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 0
  let pages = 0
  let eos = false
  while (pos < bytes.length) {
    const page = pages + 1
    if (bytes.length - pos < HEADER) throw new AudioFormatError(`truncated: Ogg page ${page} is cut off in its header (byte ${pos})`)
    if (view.getUint32(pos, false) !== 0x4f676753) throw new AudioFormatError(`corrupt: no Ogg page where page ${page} should start (byte ${pos})`)
    if (bytes[pos + 4] !== 0) throw new AudioFormatError(`unsupported Ogg version ${bytes[pos + 4]} (page ${page})`)
    const segments = bytes[pos + 26]
    if (bytes.length - pos < HEADER + segments) throw new AudioFormatError(`truncated: Ogg page ${page} is cut off in its header (byte ${pos})`)
    let bodyBytes = 0
    for (let i = 0; i < segments; i++) bodyBytes += bytes[pos + HEADER + i]
    const end = pos + HEADER + segments + bodyBytes
    if (end > bytes.length) throw new AudioFormatError(`truncated: Ogg page ${page} needs ${end - pos} bytes, the file holds ${bytes.length - pos} more`)
    if (pageCrc(bytes, pos, end) !== view.getUint32(pos + 22, true)) throw new AudioFormatError(`corrupt: Ogg page ${page} (byte ${pos}) fails its checksum`)
    eos = (bytes[pos + 5] & FLAG_EOS) !== 0
    pages++
    pos = end
  }
  if (!eos) throw new AudioFormatError(`truncated: the file ends after Ogg page ${pages} without the end-of-stream page`)
  return {pages}
}
