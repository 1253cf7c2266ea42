import {Flags} from '@oclif/core'
import {appendFile} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {RECORDERS, type RecorderName, chooseRecorder, openMicrophone} from '../src/audio/microphone.js'
import {SAMPLE_RATE} from '../src/audio/read.js'
import {writeWav16} from '../src/audio/write.js'
import {secondsFlag} from '../src/stream/command-support.js'
import {LineReader, clipName, nextClipNumber, recordTake, trimTake} from '../src/stream/record-clips.js'
import {BaseCommand} from '../src/util/base-command.js'
import {UserError, exitCodesHelp} from '../src/util/errors.js'

export interface RecordResult {
  word: string
  out: string
  clips: Array<{file: string; seconds: number}>
}

/** Takes in a row with nothing in them before we stop asking: the microphone is muted or gone. */
const MAX_SILENT_TAKES = 3

export default class Record extends BaseCommand {
  static override summary = 'Record clips of a word from the microphone, for training'

  static override description = `Prompts for and records --count clips of one word. For each, press Enter and say the word; press Enter again to stop (or give --seconds to record a fixed length after Enter). Silence before and after the word is trimmed and each clip is written as OUT/NNNNN.wav (44.1 kHz, 16-bit mono), numbered after the clips already there, so several sessions add up, and named in OUT/manifest.jsonl as "rnn-wake tts" names its clips (so recordings of other words, as --negatives, can teach "rnn-wake train --word-head"). That is the layout the other commands read: a folder per word for "rnn-wake synthesize --words" and "rnn-wake train --words", or a clip folder for --activates / --negatives.

A take with nothing louder than -45 dBFS is not saved and is asked for again; three in a row stop with an error (check the device and that it is not muted). Prompts go to stderr and answers are read from stdin, so a script can drive it. Ctrl-C (or stdin ending) stops after the clips already saved.

${exitCodesHelp(['usage', 'device', 'output', 'interrupted'], {interrupted: 'before --count clips; the clips so far are kept'})}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --word activate --count 20 --out clips/mine',
    '<%= config.bin %> <%= command.id %> --word "lights on" --count 10 --seconds 2 --out clips/lights-on --device plughw:1,0',
  ]

  static override enableJsonFlag = true

  static override flags = {
    word: Flags.string({char: 'w', summary: 'The word or phrase to say (shown in the prompt).', required: true}),
    count: Flags.integer({char: 'n', summary: 'Clips to record.', required: true, min: 1}),
    out: Flags.string({char: 'o', summary: 'Folder to write NNNNN.wav clips into (created if needed).', required: true}),
    seconds: Flags.string({summary: 'Record this many seconds after Enter instead of until Enter is pressed again.'}),
    'max-seconds': Flags.string({summary: 'Longest take when stopping with Enter.', default: '10'}),
    device: Flags.string({char: 'd', summary: 'Recording device (arecord: ALSA name such as plughw:1,0).'}),
    recorder: Flags.string({summary: 'Recording program.', options: ['auto', ...RECORDERS], default: 'auto'}),
  }

  async run(): Promise<RecordResult> {
    const {flags} = await this.parse(Record)
    const seconds = flags.seconds === undefined ? undefined : secondsFlag('seconds', flags.seconds, 1)
    const maxSeconds = secondsFlag('max-seconds', flags['max-seconds'], 10)
    // Fail on a missing recorder before the first prompt, not after it.
    const recorder = chooseRecorder(flags.recorder as RecorderName | 'auto')
    const open = () => openMicrophone({device: flags.device, recorder})
    const say = (line: string) => this.logToStderr(line)

    let number = await nextClipNumber(flags.out)
    const lines = new LineReader(process.stdin)
    const clips: RecordResult['clips'] = []
    let interrupted = false
    let onInterrupt = (): void => {}
    const interruption = new Promise<void>((resolve) => {
      onInterrupt = resolve
    })
    const onSigint = (): void => {
      interrupted = true
      onInterrupt()
      lines.close()
    }
    process.once('SIGINT', onSigint)
    try {
      let silentTakes = 0
      while (clips.length < flags.count) {
        const n = clips.length + 1
        say(`[${n}/${flags.count}] Press Enter, then say "${flags.word}"${seconds === undefined ? ' and press Enter again' : ` (recording ${seconds} s)`}`)
        if ((await lines.next()) === null || interrupted) break
        const stop = seconds === undefined ? Promise.race([lines.next(), interruption]) : interruption
        const take = await recordTake(open, {sampleRate: SAMPLE_RATE, seconds, maxSeconds, stop})
        if (interrupted) break // a take cut short by Ctrl-C is not a clip
        const trimmed = trimTake(take, SAMPLE_RATE)
        if (trimmed.silent) {
          if (++silentTakes >= MAX_SILENT_TAKES) {
            throw new UserError(`${MAX_SILENT_TAKES} takes in a row were silent (loudest ${trimmed.peakDb.toFixed(0)} dBFS): check the microphone${flags.device ? ` (device ${flags.device})` : ''} and that it is not muted`, 'device')
          }
          say(`  nothing heard (loudest ${trimmed.peakDb.toFixed(0)} dBFS): not saved, again`)
          continue
        }
        silentTakes = 0
        const file = join(flags.out, clipName(number++))
        await writeWav16(file, trimmed.samples)
        // Name the clip as "rnn-wake tts" names its clips, so a folder of other words can teach train --word-head.
        await appendFile(join(flags.out, 'manifest.jsonl'), JSON.stringify({file: basename(file), text: flags.word}) + '\n')
        const length = trimmed.samples.length / SAMPLE_RATE
        clips.push({file, seconds: length})
        this.log(`wrote ${file} (${length.toFixed(2)} s)`)
      }
    } finally {
      process.off('SIGINT', onSigint)
      lines.close()
    }

    if (clips.length < flags.count) {
      throw new UserError(`stopped after ${clips.length} of ${flags.count} clips${clips.length ? ` (saved in ${flags.out})` : ''}`, 'interrupted')
    }
    say(`Recorded ${clips.length} clips of "${flags.word}" in ${flags.out}`)
    return {word: flags.word, out: flags.out, clips}
  }
}
