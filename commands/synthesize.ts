import {readFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'

import {Flags} from '@oclif/core'

import {
  COURSE_PARAMS,
  COURSE_TRIGGER,
  type Phrase,
  type Range,
  type SourceLayout,
  type SynthParams,
  type SynthesizeResult,
  checkOutputDir,
  exampleSamples,
  loadSources,
  parsePhrases,
  synthesizeDataset,
  withProceduralBackgrounds,
} from '../src/dataset/index.js'
import {DEFAULT_PROCEDURAL_BACKGROUNDS, defaultBackgrounds} from '../src/dataset/backgrounds.js'
import {BaseCommand} from '../src/util/base-command.js'
import {InputError, UserError, describeError, exitCodesHelp} from '../src/util/errors.js'
import {createProgress} from '../src/util/progress.js'

/** LOW,HIGH or one number, checked here rather than in an oclif parser so a mistake is one line with the usage exit code. */
function parseRange(flag: string, input: string | undefined, check: (v: number) => string | undefined): Range | null {
  if (input === undefined) return null
  const parts = input.split(',').map((s) => s.trim())
  const values = parts.map(Number)
  if (parts.length > 2 || parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) {
    throw new UserError(`${flag} must be LOW,HIGH or one number (e.g. ${flag}=-6,6), not "${input}"`, 'usage')
  }
  const [lo, hi] = values.length === 1 ? [values[0], values[0]] : values
  if (lo > hi) throw new UserError(`${flag}: LOW must not exceed HIGH in "${input}"`, 'usage')
  const problem = check(lo) ?? check(hi)
  if (problem) throw new UserError(`${flag}: ${problem} in "${input}"`, 'usage')
  return [lo, hi]
}

function parseProbability(flag: string, input: string): number {
  const v = Number(input.trim())
  if (input.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new UserError(`${flag} must be a probability in 0..1, not "${input}"`, 'usage')
  return v
}

async function readPhrases(flags: {phrases?: string; 'phrases-file'?: string}): Promise<Phrase[] | undefined> {
  if (flags.phrases !== undefined) return parsePhrases(flags.phrases, ',', '--phrases')
  const file = flags['phrases-file']
  if (file === undefined) return undefined
  let content: string
  try {
    content = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(file, code === 'ENOENT' ? 'no such file (given as --phrases-file)' : describeError(error))
  }
  return parsePhrases(content, '\n', file)
}

export default class Synthesize extends BaseCommand {
  static override summary = 'Synthesize labelled 10 s training examples by mixing word clips into backgrounds.'

  static override description = `By default this is the course's method (Sequence Models, trigger word detection): each example is a random 10 s window of a background lowered by 20 dB, with 0..4 trigger clips and then 0..2 negative clips (drawn with replacement) at random non-overlapping starts (7 tries, then the clip is skipped), normalised to -20 dBFS. Labels have Ty = 1375 steps: for a trigger whose last sample lies in millisecond end_ms, steps int(end_ms * 1375 / 10000) + 1 to + 50 are 1.

Sources come in one of two layouts. Course layout: --activates DIR (trigger clips) and --negatives DIR (clips of other words, which appear as "<other>" in transcripts; --trigger names the trigger, default "${COURSE_TRIGGER}"). Vocabulary layout: --words DIR with one subfolder per word, and --trigger NAME naming the trigger's subfolder; every other word is a negative. --backgrounds DIR holds background recordings: those longer than 10 s give random 10 s windows; shorter ones are looped from a random point, but each must be at least as long as the longest clip. --procedural-backgrounds N adds N generated ones (coloured noise, mains hum, babble of the negative words); with neither, ${DEFAULT_PROCEDURAL_BACKGROUNDS} generated ones are used, and a line on stderr says so. Every file in these folders must be audio: WAV, FLAC, Ogg Vorbis, Ogg Opus or MP3, told by content (any rate and sample width; channel 0 is used), except hidden files and .json/.jsonl/.txt/.md/.csv/.tsv/.yaml notes, which are skipped.

Command phrases (--words layout only): --phrases "lights on,lights off,play music,stop" or --phrases-file FILE (one phrase per line; blank lines and lines starting with # are skipped) declares what may be said after the trigger; every word of a phrase must be a folder in --words, and the trigger may not be one of them. Each trigger is then followed by a phrase with probability --phrase-prob (default ${COURSE_PARAMS.phraseProb}), drawn uniformly from the list: its words' clips one after another, with a pause of --phrase-gap ms (uniform, default ${COURSE_PARAMS.phraseGapMs.join(',')}) after the trigger and between words. The trigger and its phrase are placed as one block that overlaps nothing, and nothing later lands inside it; when the block finds no room in 7 tries, the trigger is placed alone and the phrase's words are listed as skipped. Labels are still the 50 steps after each trigger; the transcript lists every placed word in time order, trigger, command words and negatives alike, which is what a CTC head learns. Negatives are still drawn from every non-trigger word, command words included. Make the word clips with e.g. "rnn-wake tts activate lights on off play music stop --count 50 --out clips" (one folder per word).

Augmentation is OFF by default, which reproduces the course. --clip-gain (dB), --snr (clip rms over background-window rms, dB; replaces --clip-gain) and --speed (a resampling factor: tempo and pitch change together) each take LOW,HIGH for a uniform draw per clip, or one number. Write a value that starts with a minus sign with "=": --clip-gain=-6,6.

Output, built in a temporary folder and renamed into place only when complete: OUT/NNNNN.wav (44.1 kHz 16-bit mono); OUT/labels.npy (uint8 0/1, count x 1375, row i for example i); OUT/manifest.jsonl (line i: example i's background window, every inserted clip with word, source, start and end sample and end ms, the label runs, and the transcript; the clips of a trigger + phrase block also carry "group", the block's number in the example, and "phrase", the phrase's index in dataset.json's "phrases"); OUT/dataset.json (all parameters, the phrases, the seed, counts, and the sha256 of every source file). The same sources, seed and parameters give byte-identical output whatever --workers is.

${exitCodesHelp(['usage', 'badInput', 'output', 'interrupted'], {interrupted: 'nothing is written'})}`

  static override examples = [
    {description: 'From the clips of "rnn-wake tts" alone: no recordings needed (procedural backgrounds).', command: '<%= config.bin %> <%= command.id %> --activates clips/activate --negatives clips/negatives --count 1000 --seed 1 --out datasets/train'},
    {
      description: 'A test and calibration set spoken by voices training never heard: 10 h of audio, about 7 h of it without a trigger, enough to set a threshold for 0.5 false accepts per hour (see evaluate --help).',
      command: '<%= config.bin %> <%= command.id %> --activates clips/activate-unseen --negatives clips/negatives --count 3500 --seed 2 --out datasets/test',
    },
    {description: 'One folder per word (rnn-wake tts with several words), with augmentation.', command: '<%= config.bin %> <%= command.id %> --words clips/vocab --trigger activate --count 4000 --seed 7 --snr=-5,15 --speed 0.9,1.1 --out datasets/aug-4k'},
    {description: 'Trigger + command phrases for a transcription head: most triggers are followed by a command.', command: '<%= config.bin %> <%= command.id %> --words clips/vocab --trigger activate --phrases "lights on,lights off,stop" --phrase-prob 0.8 --count 4000 --out datasets/commands-4k'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    activates: Flags.string({summary: 'Folder of trigger-word clips (course layout).', helpGroup: 'SOURCES', dependsOn: ['negatives'], exclusive: ['words'], exactlyOne: ['activates', 'words']}),
    negatives: Flags.string({summary: 'Folder of other-word clips (course layout).', helpGroup: 'SOURCES', dependsOn: ['activates'], exclusive: ['words']}),
    words: Flags.string({summary: 'Folder with one subfolder of clips per word.', helpGroup: 'SOURCES', dependsOn: ['trigger'], exclusive: ['activates', 'negatives'], exactlyOne: ['activates', 'words']}),
    trigger: Flags.string({summary: `Trigger word: its subfolder with --words; its name in transcripts with --activates (default "${COURSE_TRIGGER}").`, helpGroup: 'SOURCES'}),
    backgrounds: Flags.string({summary: `Folder of background recordings (default: ${DEFAULT_PROCEDURAL_BACKGROUNDS} procedural backgrounds).`, helpGroup: 'SOURCES'}),
    'procedural-backgrounds': Flags.integer({summary: 'Add this many generated 10 s backgrounds (noise colours, mains hum, babble of the negative words).', helpGroup: 'SOURCES', min: 0}),
    count: Flags.integer({summary: 'Number of examples.', required: true, min: 1}),
    seed: Flags.integer({summary: 'Random seed; example i depends only on (seed, i).', default: 0, defaultHelp: async () => '0', min: 0}),
    out: Flags.string({summary: 'Dataset folder to create.', required: true}),
    force: Flags.boolean({summary: 'Replace an existing dataset at --out (never a folder that is not a dataset).', default: false}),
    workers: Flags.integer({summary: 'Worker threads (does not change the output).', default: availableParallelism(), defaultHelp: async () => 'number of cores', min: 1}),
    'max-triggers': Flags.integer({summary: 'Triggers per example are uniform in 0..N.', default: COURSE_PARAMS.maxTriggers, min: 0, helpGroup: 'METHOD'}),
    'max-negatives': Flags.integer({summary: 'Negatives per example are uniform in 0..N.', default: COURSE_PARAMS.maxNegatives, min: 0, helpGroup: 'METHOD'}),
    'clip-gain': Flags.string({
      summary: 'Per-clip gain in dB, LOW,HIGH. Default: off (clips keep their level).',
      helpGroup: 'AUGMENTATION',
      exclusive: ['snr'],
    }),
    snr: Flags.string({
      summary: 'Clip-to-background rms ratio in dB, LOW,HIGH. Default: off (background at -20 dB, clips at their level).',
      helpGroup: 'AUGMENTATION',
      exclusive: ['clip-gain'],
    }),
    speed: Flags.string({
      summary: 'Speed factor by resampling, LOW,HIGH (1 = unchanged). Default: off.',
      helpGroup: 'AUGMENTATION',
    }),
    phrases: Flags.string({
      summary: 'Command phrases that may follow the trigger, comma-separated (e.g. "lights on,stop"); each word must be a folder in --words.',
      helpGroup: 'PHRASES',
      dependsOn: ['words'],
      exclusive: ['phrases-file'],
    }),
    'phrases-file': Flags.string({summary: 'File of command phrases, one per line (# comments).', helpGroup: 'PHRASES', dependsOn: ['words'], exclusive: ['phrases']}),
    'phrase-prob': Flags.string({summary: `Probability that a trigger is followed by a phrase. Default: ${COURSE_PARAMS.phraseProb}.`, helpGroup: 'PHRASES'}),
    'phrase-gap': Flags.string({summary: `Pause before each phrase word in ms, LOW,HIGH. Default: ${COURSE_PARAMS.phraseGapMs.join(',')}.`, helpGroup: 'PHRASES'}),
  }

  async run(): Promise<SynthesizeResult> {
    const {flags} = await this.parse(Synthesize)
    const params: SynthParams = {
      ...COURSE_PARAMS,
      maxTriggers: flags['max-triggers'],
      maxNegatives: flags['max-negatives'],
      clipGainDb: parseRange('--clip-gain', flags['clip-gain'], (v) => (Math.abs(v) > 60 ? 'gains beyond +-60 dB are not useful' : undefined)),
      snrDb: parseRange('--snr', flags.snr, (v) => (Math.abs(v) > 80 ? 'ratios beyond +-80 dB are not useful' : undefined)),
      speed: parseRange('--speed', flags.speed, (v) => (v < 0.5 || v > 2 ? 'speed factors must lie in 0.5..2' : undefined)),
      phraseProb: flags['phrase-prob'] === undefined ? COURSE_PARAMS.phraseProb : parseProbability('--phrase-prob', flags['phrase-prob']),
      phraseGapMs: parseRange('--phrase-gap', flags['phrase-gap'], (v) => (v < 0 || v > 2000 ? 'pauses must lie in 0..2000 ms' : undefined)) ?? COURSE_PARAMS.phraseGapMs,
    }
    const phrases = await readPhrases(flags)
    if (!phrases && (flags['phrase-prob'] !== undefined || flags['phrase-gap'] !== undefined)) {
      throw new UserError('--phrase-prob and --phrase-gap need --phrases or --phrases-file', 'usage')
    }
    const layout: SourceLayout = flags.words
      ? {kind: 'words', words: flags.words, trigger: flags.trigger!, backgrounds: flags.backgrounds, phrases}
      : {kind: 'course', activates: flags.activates!, negatives: flags.negatives!, backgrounds: flags.backgrounds, trigger: flags.trigger}

    // Before decoding any audio, so a wrong --out fails at once.
    await checkOutputDir(flags.out, flags.force)
    const background = defaultBackgrounds(flags.backgrounds ? 1 : 0, flags['procedural-backgrounds'])
    if (background.note) this.logToStderr(background.note)
    const loaded = withProceduralBackgrounds(await loadSources(layout, exampleSamples(params), params.speed ? params.speed[0] : 1), background.procedural, flags.seed)
    const progress = createProgress(flags.count, 'synthesize')
    // Ctrl-C must not leave a half-built temporary dataset beside --out.
    const abort = new AbortController()
    const onSigint = (): void => abort.abort()
    process.once('SIGINT', onSigint)
    let result: SynthesizeResult
    try {
      result = await synthesizeDataset(loaded, {
        out: flags.out,
        count: flags.count,
        seed: flags.seed,
        workers: flags.workers,
        params,
        replace: flags.force,
        layout: layout.kind,
        onProgress: (done) => progress.update(done),
        signal: abort.signal,
      })
    } finally {
      process.off('SIGINT', onSigint)
      progress.stop()
    }
    const {stats} = result
    this.log(`Wrote ${result.count} examples to ${result.out} in ${result.seconds.toFixed(1)} s (${result.workers} worker${result.workers === 1 ? '' : 's'})`)
    this.log(`  triggers: ${stats.triggers} (examples with 0..${params.maxTriggers}: ${stats.triggersPerExample.join(' ')}), negatives: ${stats.negatives}, skipped for lack of room: ${stats.skipped}`)
    if (phrases) this.log(`  triggers followed by a phrase: ${stats.phrases} (${stats.phraseWords} phrase words)`)
    return result
  }
}
