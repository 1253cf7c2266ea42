import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import {extname} from 'node:path'
import type {Readable} from 'node:stream'

import {InputError} from '../util/errors.js'
import {SAMPLE_RATE, decodeAudio, readAudio, readBytes} from './read.js'
import {WavFormatError, isStreamingSize, parseWavLayout} from './wav-header.js'

/** Audio as it arrives: mono chunks at 44.1 kHz in int16 units, of any size. */
export type AudioChunks = AsyncIterable<Float64Array>

/** Time, injectable so that paced streaming is testable without waiting. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
}

/** Little-endian 16-bit mono PCM bytes to samples; an odd byte is carried to the next chunk. */
export async function* pcm16Chunks(bytes: AsyncIterable<Uint8Array>, channels = 1): AudioChunks {
  const frameBytes = 2 * channels
  let carry: Uint8Array = new Uint8Array(0)
  for await (const piece of bytes) {
    const data = carry.length ? concat(carry, piece) : piece
    const frames = Math.floor(data.length / frameBytes)
    if (frames > 0) {
      const view = new DataView(data.buffer, data.byteOffset, frames * frameBytes)
      const out = new Float64Array(frames)
      for (let i = 0; i < frames; i++) out[i] = view.getInt16(i * frameBytes, true)
      yield out
    }
    carry = data.slice(frames * frameBytes)
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/**
 * A WAV arriving as a stream (stdin): the header is parsed as soon as it is
 * complete, then the data chunk streams through. Streams must already be
 * 16-bit integer at 44.1 kHz (resampling needs the whole signal here);
 * files have no such limit.
 */
export async function* wavStreamChunks(bytes: AsyncIterable<Uint8Array>, name: string): AudioChunks {
  const iterator = bytes[Symbol.asyncIterator]()
  let head: Uint8Array = new Uint8Array(0)
  for (;;) {
    try {
      if (head.length < 12) throw new WavFormatError('header incomplete')
      const layout = parseWavLayout(withStreamingSize(head))
      if (layout.sampleRate !== SAMPLE_RATE || layout.encoding !== 'int' || layout.bitsPerSample !== 16) {
        throw new InputError(name, `a streamed WAV must be 16-bit at ${SAMPLE_RATE} Hz (got ${layout.bitsPerSample}-bit ${layout.encoding} at ${layout.sampleRate} Hz); convert it or pass a file`)
      }
      const rest = head.subarray(layout.dataOffset)
      async function* remaining(): AsyncIterable<Uint8Array> {
        yield rest
        for (;;) {
          const next = await iterator.next()
          if (next.done) return
          yield next.value
        }
      }
      yield* pcm16Chunks(remaining(), layout.channels)
      return
    } catch (error) {
      if (error instanceof InputError) throw error
      if (!(error instanceof WavFormatError) || !/header incomplete|no data chunk|truncated fmt|empty data chunk|holds no whole|no fmt/.test(error.message)) {
        throw new InputError(name, (error as Error).message)
      }
    }
    const next = await iterator.next()
    if (next.done) throw new InputError(name, head.length === 0 ? 'empty input' : 'stream ended inside the WAV header')
    head = concat(head, next.value)
    if (head.length > 1 << 20) throw new InputError(name, 'no data chunk in the first MiB of the stream')
  }
}

/** Treat the header's data size as "until the end": a stream has no end yet. */
function withStreamingSize(head: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(head)
  const view = new DataView(copy.buffer)
  for (let pos = 12; pos + 8 <= copy.length; ) {
    const id = String.fromCharCode(copy[pos], copy[pos + 1], copy[pos + 2], copy[pos + 3])
    const size = view.getUint32(pos + 4, true)
    if (id === 'data') {
      // A header with no sample bytes yet would read as an empty data chunk: pretend one frame more is coming.
      view.setUint32(pos + 4, 0xffffffff, true)
      if (copy.length - (pos + 8) < 8) return concat(copy, new Uint8Array(8))
      return copy
    }
    pos += 8 + size + (size & 1)
  }
  return copy
}

/** Split samples in memory into chunks. */
export async function* samplesChunks(samples: Float64Array, chunkSamples: number): AudioChunks {
  for (let i = 0; i < samples.length; i += chunkSamples) yield samples.subarray(i, Math.min(samples.length, i + chunkSamples))
}

/** Re-time chunks to real time: a chunk is released when the audio before it would have been played. */
export async function* paced(chunks: AudioChunks, clock: Clock, sampleRate = SAMPLE_RATE): AudioChunks {
  const start = clock.now()
  let emitted = 0
  for await (const chunk of chunks) {
    const due = start + (emitted / sampleRate) * 1000
    const wait = due - clock.now()
    if (wait > 0) await clock.sleep(wait)
    yield chunk
    emitted += chunk.length
  }
}

export interface InputOptions {
  /** Chunk size for files, in samples (default 100 ms). */
  chunkSamples?: number
  stdin?: Readable
}

const RAW_EXTENSIONS = new Set(['.raw', '.pcm', '.s16', '.s16le'])

/**
 * `listen --input`: an audio file (WAV, FLAC, Ogg Vorbis, Ogg Opus or MP3,
 * told by content), a headerless s16le 44.1 kHz mono file (.raw/.pcm), or
 * '-' for stdin (WAV, FLAC, Ogg or ID3-tagged MP3, else raw PCM, sniffed
 * from the first bytes). A 16-bit 44.1 kHz WAV streams from disk; every
 * other file is decoded whole first (the compressed formats' decoders and
 * the resampler need all of it), then chunked.
 */
export async function openInput(input: string, options: InputOptions = {}): Promise<AudioChunks> {
  const chunkSamples = options.chunkSamples ?? SAMPLE_RATE / 10
  if (input === '-') return sniffStream(options.stdin ?? process.stdin, 'stdin')
  if (RAW_EXTENSIONS.has(extname(input).toLowerCase())) {
    await readBytes(input) // the same one-line errors for a missing or empty file
    return pcm16Chunks(createReadStream(input))
  }
  const layout = await streamableWav(input)
  if (layout) {
    // 16-bit at 44.1 kHz needs no resampling: stream it, so an hour-long file is not held in memory.
    const {dataOffset, dataBytes, channels} = layout
    return pcm16Chunks(createReadStream(input, {start: dataOffset, end: dataOffset + dataBytes - 1, highWaterMark: chunkSamples * 2 * channels}), channels)
  }
  const audio = await readAudio(input)
  return samplesChunks(audio.samples, chunkSamples)
}

/**
 * The data chunk of a 16-bit 44.1 kHz WAV file, found from its first bytes;
 * undefined for anything else (other formats, broken files), which the
 * whole-file reader then decodes or reports.
 */
async function streamableWav(file: string): Promise<{dataOffset: number; dataBytes: number; channels: number} | undefined> {
  let handle
  try {
    handle = await open(file, 'r')
    const size = (await handle.stat()).size
    const head = new Uint8Array(Math.min(size, 1 << 20))
    await handle.read(head, 0, head.length, 0)
    const layout = parseWavLayout(withStreamingSize(head))
    if (layout.encoding !== 'int' || layout.bitsPerSample !== 16 || layout.sampleRate !== SAMPLE_RATE) return undefined
    const declared = new DataView(head.buffer).getUint32(layout.dataOffset - 4, true)
    const available = size - layout.dataOffset
    if (declared > available && !isStreamingSize(declared)) return undefined
    const bytes = isStreamingSize(declared) ? available : Math.min(declared, available)
    const dataBytes = bytes - (bytes % layout.blockAlign)
    return dataBytes > 0 ? {dataOffset: layout.dataOffset, dataBytes, channels: layout.channels} : undefined
  } catch {
    return undefined
  } finally {
    await handle?.close()
  }
}

async function* sniffStream(stream: Readable, name: string): AudioChunks {
  const iterator = (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  let head: Uint8Array = new Uint8Array(0)
  while (head.length < 4) {
    const next = await iterator.next()
    if (next.done) break
    head = concat(head, next.value)
  }
  if (head.length === 0) throw new InputError(name, 'empty input')
  async function* all(): AsyncIterable<Uint8Array> {
    yield head
    for (;;) {
      const next = await iterator.next()
      if (next.done) return
      yield next.value
    }
  }
  const magic = String.fromCharCode(...head.subarray(0, 4))
  if (magic === 'fLaC' || magic === 'OggS' || magic.startsWith('ID3')) {
    // A compressed stream is decoded whole (see openInput). A bare MPEG frame
    // sync is not taken for MP3 here: raw PCM may start with those bytes.
    const parts: Uint8Array[] = []
    for await (const piece of all()) parts.push(piece)
    const audio = await decodeAudio(new Uint8Array(Buffer.concat(parts)), name)
    yield* samplesChunks(audio.samples, SAMPLE_RATE / 10)
    return
  }
  yield* magic === 'RIFF' ? wavStreamChunks(all(), name) : pcm16Chunks(all())
}
