import {Args, Flags} from '@oclif/core'
import {basename, extname, join} from 'node:path'

import {readAudio} from '../src/audio/read.js'
import {asNpyData, binHz, formatSummary, frameSeconds, spectrogram, summarize, type SpectrogramSummary} from '../src/features/index.js'
import {drawSpectrogram} from '../src/plot/index.js'
import {writeFileAtomic} from '../src/util/atomic.js'
import {BaseCommand} from '../src/util/base-command.js'
import {UserError, exitCodesHelp} from '../src/util/errors.js'
import {encodeNpy} from '../src/util/npy.js'

export default class SpectrogramCommand extends BaseCommand {
  static override summary = "Compute the course's spectrogram (101 bins, hop 80) of audio files"
  static override description = `Reads PCM or float WAV, FLAC, Ogg Vorbis, Ogg Opus and MP3 files (told by content, not name) of any sample rate and channel count, brings them to 44.1 kHz (band-limited resampling), takes channel 0 (or the channel mean with --mix) and computes the spectrogram of the Sequence Models course: matplotlib specgram(NFFT=200, Fs=8000, noverlap=120). A 10 s clip gives 5511 frames x 101 bins, the model's input.

With several input files, --out and --png name directories and each file gets <name>.npy / <name>.png.

${exitCodesHelp(['usage', 'badInput', 'output'])}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> data/demo/activate-demo.wav',
    '<%= config.bin %> <%= command.id %> data/demo/activate-demo.wav --out demo.npy --png demo.png',
    '<%= config.bin %> <%= command.id %> data/demo/activate-demo.wav data/chime.wav --json',
  ]

  static override strict = false
  static override enableJsonFlag = true

  static override args = {
    wav: Args.string({description: 'Audio file(s) to analyse (WAV, FLAC, Ogg Vorbis/Opus, MP3)', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'write the spectrogram as a NumPy .npy file (frames x 101, float32)'}),
    float64: Flags.boolean({description: 'write the .npy as float64 instead of float32', dependsOn: ['out']}),
    png: Flags.string({description: 'write a picture of the spectrogram (dB colour scale) as PNG'}),
    mix: Flags.boolean({description: 'average all channels instead of taking channel 0 (the course takes channel 0)'}),
  }

  async run(): Promise<{files: SpectrogramSummary[]}> {
    const {argv, flags} = await this.parse(SpectrogramCommand)
    const files = argv as string[]
    const many = files.length > 1
    const target = (option: string | undefined, file: string, ext: string): string | undefined => {
      if (!option) return undefined
      return many ? join(option, basename(file, extname(file)) + ext) : option
    }

    // Read and compute everything first, so a bad input leaves no output behind.
    const results = []
    for (const file of files) {
      const audio = await readAudio(file, {mix: flags.mix})
      const spec = spectrogram(audio.samples)
      results.push({file, summary: summarize(audio.info, spec), spec})
    }
    for (const {file, summary, spec} of results) {
      const npyPath = target(flags.out, file, '.npy')
      if (npyPath) await writeFileAtomic(npyPath, encodeNpy(asNpyData(spec, flags.float64), [spec.frames, spec.bins]))
      const pngPath = target(flags.png, file, '.png')
      if (pngPath) {
        if (spec.frames < 2) throw new UserError(`Cannot plot ${file}: only ${spec.frames} frame`, 'badInput')
        const plot = drawSpectrogram(spec, {frameSeconds: frameSeconds(), binHz: binHz(), title: basename(file)})
        await writeFileAtomic(pngPath, plot.canvas.toPng())
      }
      this.log(formatSummary(summary) + (npyPath ? `, wrote ${npyPath}` : '') + (pngPath ? `, wrote ${pngPath}` : ''))
    }
    return {files: results.map((r) => r.summary)}
  }
}
