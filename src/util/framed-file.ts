import {InputError} from './errors.js'

/**
 * The container of rnn-wake's data files (feature banks, voice maps): a magic line, a little-endian uint32
 * header length, a JSON header, then a binary body whose layout the header gives.
 */
export function frameFile(magic: string, header: unknown, body: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header))
  const length = Buffer.alloc(4)
  length.writeUInt32LE(json.length)
  return Buffer.concat([Buffer.from(magic), length, json, body])
}

/** A framed file's parsed header and body, or the one-line input error naming `file` ("not an rnn-wake `what`", truncated or corrupt header). */
export function unframeFile(bytes: Buffer, magic: string, file: string, what: string): {header: Record<string, unknown>; body: Buffer} {
  const fail = (problem: string): never => {
    throw new InputError(file, problem)
  }
  if (bytes.length < magic.length + 4 || bytes.subarray(0, magic.length).toString() !== magic) fail(`not an rnn-wake ${what}`)
  const headerLength = bytes.readUInt32LE(magic.length)
  const start = magic.length + 4
  if (start + headerLength > bytes.length) fail('truncated header')
  let header: unknown
  try {
    header = JSON.parse(bytes.subarray(start, start + headerLength).toString())
  } catch {
    return fail('corrupt header')
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('corrupt header')
  return {header: header as Record<string, unknown>, body: bytes.subarray(start + headerLength)}
}
