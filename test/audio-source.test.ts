import {writeFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {findOnPath, openMicrophone} from '../src/audio/microphone.js'
import {type Clock, openInput, paced, pcm16Chunks, samplesChunks} from '../src/audio/source.js'
import {encodeWav16} from '../src/audio/write.js'
import {buildWav} from './helpers/wav.js'
import {InputError, UserError} from '../src/util/errors.js'

async function collect(chunks: AsyncIterable<Float64Array>): Promise<number[]> {
  const out: number[] = []
  for await (const c of chunks) out.push(...c)
  return out
}

function bytesOf(samples: number[]): Uint8Array {
  return new Uint8Array(Int16Array.from(samples).buffer)
}

/** Split bytes into pieces of awkward (odd) sizes, as a pipe may deliver them. */
function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

const signal = Array.from({length: 5000}, (_, i) => Math.round(12_000 * Math.sin(i / 7)) | 0) // | 0: no -0, which toEqual tells from 0

describe('audio sources', () => {
  it('raw s16le split at odd byte boundaries decodes exactly', async () => {
    expect(await collect(pcm16Chunks(Readable.from(pieces(bytesOf(signal), 333))))).toEqual(signal)
  })

  it('a WAV on stdin, header split across pieces, streams its samples', async () => {
    const wav = encodeWav16(signal)
    expect(await collect(await openInput('-', {stdin: Readable.from(pieces(wav, 7))}))).toEqual(signal)
  })

  it('raw PCM on stdin is recognised by the missing RIFF header', async () => {
    expect(await collect(await openInput('-', {stdin: Readable.from([bytesOf(signal)])}))).toEqual(signal)
  })

  it('a streamed WAV at another rate is refused with a clear message', async () => {
    const wav = encodeWav16(signal, 16_000)
    await expect(collect(await openInput('-', {stdin: Readable.from([wav])}))).rejects.toThrow(/must be 16-bit at 44100 Hz/)
  })

  it('empty stdin is an input error', async () => {
    await expect(collect(await openInput('-', {stdin: Readable.from([])}))).rejects.toBeInstanceOf(InputError)
  })

  it('a WAV file whose header says data size 0 streams from disk to the end of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-src-'))
    const wav = encodeWav16(signal)
    new DataView(wav.buffer, wav.byteOffset).setUint32(40, 0, true)
    writeFileSync(join(dir, 'recorder.wav'), wav)
    expect(await collect(await openInput(join(dir, 'recorder.wav'), {chunkSamples: 999}))).toEqual(signal)
  })

  it('a WAV file and a .raw file give the same samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-src-'))
    writeFileSync(join(dir, 'a.wav'), encodeWav16(signal))
    writeFileSync(join(dir, 'a.raw'), bytesOf(signal))
    expect(await collect(await openInput(join(dir, 'a.wav'), {chunkSamples: 999}))).toEqual(signal)
    expect(await collect(await openInput(join(dir, 'a.raw')))).toEqual(signal)
  })

  it('a 16-bit 44.1 kHz WAV file streams from disk; channel 0 of a stereo one; other formats are decoded whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-src-'))
    const stereo = new Int16Array(signal.length * 2)
    signal.forEach((v, i) => {
      stereo[2 * i] = v
      stereo[2 * i + 1] = -v
    })
    writeFileSync(join(dir, 'stereo.wav'), buildWav({channels: 2, sampleRate: 44_100, bitsPerSample: 16, data: new Uint8Array(stereo.buffer)}))
    expect(await collect(await openInput(join(dir, 'stereo.wav'), {chunkSamples: 100}))).toEqual(signal)
    writeFileSync(join(dir, 'slow.wav'), encodeWav16(signal, 22_050))
    expect((await collect(await openInput(join(dir, 'slow.wav')))).length).toBe(signal.length * 2)
    writeFileSync(join(dir, 'cut.wav'), encodeWav16(signal).subarray(0, 3000))
    await expect(openInput(join(dir, 'cut.wav'))).rejects.toThrow(/truncated data chunk/)
  })

  it('paced() releases chunks on the audio clock, with an injected clock', async () => {
    let now = 0
    const sleeps: number[] = []
    const clock: Clock = {now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms))}
    const released: number[] = []
    for await (const chunk of paced(samplesChunks(new Float64Array(44_100), 4410), clock)) released.push(now, chunk.length)
    // 10 chunks of 100 ms: the k-th is released at k * 100 ms.
    expect(released.filter((_, i) => i % 2 === 0)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900])
    expect(sleeps).toHaveLength(9)
  })
})

describe('microphone', () => {
  it('a missing recorder names what to install', () => {
    let caught: unknown
    try {
      openMicrophone({recorder: 'auto', path: '/nonexistent'})
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(UserError)
    expect((caught as UserError).exitCode).toBe(5)
    expect((caught as Error).message).toMatch(/install alsa-utils \(arecord\) or sox/)
  })

  const arecord = findOnPath('arecord')
  const alsaConf = new URL('./fixtures/alsa/fakemic.conf', import.meta.url).pathname

  it.skipIf(!arecord)('reads the exact bytes through the real arecord and an ALSA file-plugin microphone (skips: arecord not installed; .ci/run installs alsa-utils)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-wake-mic-'))
    writeFileSync(join(dir, 'mic.raw'), bytesOf(signal))
    process.env.FAKE_MIC_RAW = join(dir, 'mic.raw')
    process.env.ALSA_CONFIG_PATH = `/usr/share/alsa/alsa.conf:${alsaConf}`
    try {
      const mic = openMicrophone({recorder: 'arecord'})
      const got: number[] = []
      // arecord keeps returning stale data after the end of the file: bound the read.
      for await (const chunk of mic.chunks) {
        got.push(...chunk)
        if (got.length >= signal.length) mic.stop()
      }
      expect(got.slice(0, signal.length)).toEqual(signal)
    } finally {
      delete process.env.FAKE_MIC_RAW
      delete process.env.ALSA_CONFIG_PATH
    }
  })

  it.skipIf(!arecord)('a device that does not exist is a device error quoting arecord', async () => {
    const mic = openMicrophone({recorder: 'arecord', device: 'no_such_device'})
    await expect(collect(mic.chunks)).rejects.toThrow(/arecord \(device no_such_device\) exited with code 1: .*audio open error/)
  })
})
