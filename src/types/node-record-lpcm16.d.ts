declare module 'node-record-lpcm16' {
  import type {ChildProcess} from 'node:child_process'
  import type {Readable} from 'node:stream'

  export interface RecordOptions {
    sampleRate?: number
    channels?: number
    recorder?: 'sox' | 'rec' | 'arecord'
    device?: string | null
    audioType?: string
    threshold?: number
    endOnSilence?: boolean
  }
  export interface Recording {
    process: ChildProcess
    stream(): Readable
    stop(): void
  }
  export function record(options?: RecordOptions): Recording
  const _default: {record: typeof record}
  export default _default
}
