/**
 * Which reader a file needs, told from its first bytes (never from its
 * name: a .wav that is really an MP3 is read as the MP3 it is, a .flac full of
 * text is reported as not audio). Containers and codecs rnn-wake does not
 * read are named, so the user knows what to convert.
 */

export type AudioFormat = 'wav' | 'flac' | 'ogg-vorbis' | 'ogg-opus' | 'mp3'

export const FORMAT_NAMES: Record<AudioFormat, string> = {
  wav: 'WAV',
  flac: 'FLAC',
  'ogg-vorbis': 'Ogg Vorbis',
  'ogg-opus': 'Ogg Opus',
  mp3: 'MP3',
}

/** Extensions of files a folder of clips picks up (content still decides how each is read). */
export const AUDIO_EXTENSIONS = ['.wav', '.flac', '.ogg', '.oga', '.opus', '.mp3']

export const AUDIO_FILE = /\.(wav|flac|ogg|oga|opus|mp3)$/i

/** What the readers take, for messages. */
export const READABLE = 'WAV, FLAC, Ogg Vorbis, Ogg Opus or MP3'

/** A problem with the bytes; the caller adds the file name. */
export class AudioFormatError extends Error {}

const CONVERT = 'convert it, e.g. ffmpeg -i IN -ac 1 out.wav'

function ascii(bytes: Uint8Array, at: number, length: number): string {
  let s = ''
  for (let i = at; i < Math.min(bytes.length, at + length); i++) s += String.fromCharCode(bytes[i])
  return s
}

/** Bytes an ID3v2 tag takes at the start (0 without one). */
export function id3v2Size(bytes: Uint8Array): number {
  if (bytes.length < 10 || ascii(bytes, 0, 3) !== 'ID3') return 0
  // The size is "syncsafe": four 7-bit bytes.
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f)
  const footer = bytes[5] & 0x10 ? 10 : 0
  return 10 + size + footer
}

/** An MPEG audio frame header (11 sync bits, a valid version, layer, bitrate and rate) at `at`. */
export function isMpegFrameHeader(bytes: Uint8Array, at: number): boolean {
  if (at + 4 > bytes.length) return false
  const [b0, b1, b2] = [bytes[at], bytes[at + 1], bytes[at + 2]]
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return false
  const version = (b1 >> 3) & 3
  const layer = (b1 >> 1) & 3
  const bitrate = b2 >> 4
  const rate = (b2 >> 2) & 3
  return version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3
}

/** ADTS AAC: the same 12 sync bits as MPEG audio, then layer bits 00. */
function isAdts(bytes: Uint8Array, at: number): boolean {
  return at + 2 <= bytes.length && bytes[at] === 0xff && (bytes[at + 1] & 0xf6) === 0xf0
}

/**
 * The first packet of an Ogg file (the beginning of the first page's body)
 * names its codec.
 */
function oggCodec(bytes: Uint8Array): AudioFormat {
  if (bytes.length < 27) throw new AudioFormatError('truncated Ogg page header')
  const segments = bytes[26]
  const body = 27 + segments
  if (bytes.length < body + 8) throw new AudioFormatError('truncated first Ogg page')
  const head = ascii(bytes, body, 8)
  if (head === 'OpusHead') return 'ogg-opus'
  if (head.startsWith('\x01vorbis')) return 'ogg-vorbis'
  if (head.startsWith('\x7fFLAC') || head.startsWith('fLaC')) throw new AudioFormatError(`unsupported codec: Ogg FLAC (FLAC in an Ogg container); ${CONVERT} or to native FLAC (flac --decode, then flac)`)
  if (head === 'Speex   ') throw new AudioFormatError(`unsupported codec: Ogg Speex; ${CONVERT}`)
  if (head.startsWith('\x80theora')) throw new AudioFormatError('unsupported: an Ogg Theora video stream')
  const printable = head.replace(/[^\x20-\x7e]/g, '.')
  throw new AudioFormatError(`unsupported Ogg codec (first packet starts "${printable}"; rnn-wake reads Ogg Vorbis and Ogg Opus)`)
}

/** The reader for these bytes, or an AudioFormatError naming what they are instead. */
export function sniffFormat(bytes: Uint8Array): AudioFormat {
  if (bytes.length === 0) throw new AudioFormatError('empty file')
  const magic = ascii(bytes, 0, 4)
  if (magic === 'RIFF' || magic === 'RF64' || magic === 'RIFX') return 'wav'
  if (magic === 'fLaC') return 'flac'
  if (magic === 'OggS') return oggCodec(bytes)
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4).replace(/[^\x20-\x7e]/g, '.').trim()
    throw new AudioFormatError(`unsupported format: MP4/M4A (AAC or ALAC, brand "${brand}"); ${CONVERT}`)
  }
  if (magic === 'FORM' && /^AIF[FC]$/.test(ascii(bytes, 8, 4))) throw new AudioFormatError(`unsupported format: AIFF; ${CONVERT}`)
  if (magic === 'caff') throw new AudioFormatError(`unsupported format: Core Audio (CAF); ${CONVERT}`)
  if (magic === 'wvpk') throw new AudioFormatError(`unsupported format: WavPack; ${CONVERT}`)
  if (magic === 'MAC ') throw new AudioFormatError(`unsupported format: Monkey's Audio (APE); ${CONVERT}`)
  if (magic === '#!AM') throw new AudioFormatError(`unsupported format: AMR; ${CONVERT}`)
  if (magic === '.snd') throw new AudioFormatError(`unsupported format: Sun/NeXT .au; ${CONVERT}`)
  if (magic === 'MThd') throw new AudioFormatError('unsupported: a MIDI file holds notes, not audio')
  if (bytes[0] === 0x30 && bytes[1] === 0x26 && bytes[2] === 0xb2 && bytes[3] === 0x75) throw new AudioFormatError(`unsupported format: Windows Media (ASF/WMA); ${CONVERT}`)
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) throw new AudioFormatError(`unsupported format: Matroska/WebM; ${CONVERT}`)
  const tag = id3v2Size(bytes)
  if (tag > 0) {
    if (tag >= bytes.length) throw new AudioFormatError('an ID3 tag with no audio after it (truncated MP3?)')
    if (isAdts(bytes, tag)) throw new AudioFormatError(`unsupported codec: AAC (ADTS); ${CONVERT}`)
    return 'mp3'
  }
  if (isAdts(bytes, 0)) throw new AudioFormatError(`unsupported codec: AAC (ADTS); ${CONVERT}`)
  if (isMpegFrameHeader(bytes, 0)) return 'mp3'
  const start = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')
  throw new AudioFormatError(`not an audio file rnn-wake reads (${READABLE}; ${bytes.length < 12 ? `only ${bytes.length} bytes` : `it starts with bytes ${start}`})`)
}
