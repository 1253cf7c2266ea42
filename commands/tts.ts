import {Args, Flags} from '@oclif/core'

import {describeVoicePool, folderName, writeTtsClips, type ClipGroup, type WriteSummary} from '../src/dataset/tts-output.js'
import {TtsEngines, parseEngines} from '../src/dataset/tts-engines.js'
import {negativeWords, parseRange, planNegatives, planWord, type EngineName, type VoiceCatalog} from '../src/dataset/tts.js'
import {BaseCommand} from '../src/util/base-command.js'
import {UserError, exitCodesHelp} from '../src/util/errors.js'
import {createProgress} from '../src/util/progress.js'

type TtsResult = WriteSummary | VoiceCatalog | Partial<Record<EngineName, VoiceCatalog>> | {confusable: string[]; common: string[]} | {words: string[]}

export default class TtsCommand extends BaseCommand {
  static override summary = 'Make word clips offline with embedded synthesizers (espeak-ng, SVOX Pico, GnuSpeech)'
  static override description = [
    'Speaks each WORD --count times with espeak-ng, SVOX Pico and GnuSpeech in turn (or the --engine synthesizers), varying the English voice (accent: en-us, en-gb-x-rp, en-gb-scotland, en-029, ...), the variant (speaker: f1..f5, m1..m8, klatt, whisper, ...), the rate (words per minute) and the pitch. Clips are resampled to 44.1 kHz, trimmed of leading and trailing silence (10 ms kept beyond the first and last 5 ms frame within 40 dB of the loudest) and written as DIR/NNNNN.wav (16-bit mono) with DIR/manifest.jsonl: one line per clip with file, text, voice, variant, rate, pitch, duration (s) and samples.',
    'One WORD writes its clips straight into DIR (a folder for synthesize --activates). Several WORDs write one subfolder per word, named after the word in lower case, each with --count clips and its own manifest: DIR is then a vocabulary for synthesize --words.',
    '--negatives-for TRIGGER writes --count clips in all, flat in DIR (a folder for synthesize --negatives): half are words that sound close to the trigger (for activate: activity, active, captivate, activated, motivate, ...; see --list-words), half are common English words.',
    '--engine picks the synthesizers: all by default (a detector trained on one synthesizer learns that synthesizer: clips from all three missed a third fewer real voices than espeak-ng\'s alone on the real-voice benchmark, bench/RESULTS.md), or espeak (espeak-ng, GPL-3.0), svox (SVOX Pico, Apache-2.0: en-US and en-GB, one female speaker each; rate 80..125 %, pitch 70..125 % and vocal tract length 94..112 % of the voice\'s own), gnuspeech (articulatory synthesis, GPL-3.0: male, female, large_child, small_child, baby; rate 80..125 %, pitch 85..120 %, tract 94..106 %), a comma list (espeak,svox) or all. With several engines they take turns, one clip each per round in a seeded order, so each speaks an equal share. --rate-range and --pitch-range are espeak\'s; svox and gnuspeech draw rate, pitch and tract from the ranges above. Runs that use svox or gnuspeech add engine and tract (% of the voice\'s own) to every manifest line, and their rate and pitch are % of the voice\'s own.',
    'Voice names for --voices and --exclude-voices: a voice (en-us: that accent with every variant), a variant (f3: that speaker in every accent) or a pair (en-us+f3) of espeak, or ENGINE:NAME (svox:en-GB, gnuspeech:female, espeak:f3); see --list-voices. --voices keeps only the named voices of each engine it names and leaves the other engines whole. Hold voices out of the training clips with --exclude-voices and speak test clips with --voices.',
    'DIR is built under a temporary name and renamed at the end, so it is complete or absent. An existing DIR is an error unless --force, which replaces it once the new one is complete. Same words, flags and --seed (default 0) give byte-identical files.',
    exitCodesHelp(['usage', 'output']),
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> <%= command.id %> activate --count 200 --out clips/activate --seed 1 --exclude-voices en-us+f2,en-029',
    '<%= config.bin %> <%= command.id %> --negatives-for activate --count 400 --out clips/negatives',
    '<%= config.bin %> <%= command.id %> activate lights on off stop --count 50 --out clips/vocab --exclude-voices f3,en-029',
    '<%= config.bin %> <%= command.id %> lights on off play music --count 80 --out clips/commands',
    '<%= config.bin %> <%= command.id %> --negatives-for alexa --list-words',
    '<%= config.bin %> <%= command.id %> activate --count 300 --out clips/activate-unseen --voices en-us+f2,en-029',
    '<%= config.bin %> <%= command.id %> activate --count 300 --out clips/activate-mixed --engine all --exclude-voices svox:en-GB,gnuspeech:baby',
    '<%= config.bin %> <%= command.id %> --list-voices --engine all',
  ]

  static override strict = false
  static override enableJsonFlag = true

  static override args = {
    words: Args.string({description: 'word(s) or phrase(s) to speak, e.g. activate or "hey jarvis"', required: false}),
  }

  static override flags = {
    engine: Flags.string({char: 'e', default: 'all', description: 'synthesizer(s): espeak, svox, gnuspeech, a comma list (espeak,svox) or all (the default: the three take turns)'}),
    count: Flags.integer({char: 'n', default: 200, description: 'clips per word (with --negatives-for: clips in all)'}),
    out: Flags.string({char: 'o', description: 'output folder (required unless listing)'}),
    seed: Flags.integer({default: 0, description: 'random seed for voices, rates and pitches'}),
    voices: Flags.string({multiple: true, multipleNonGreedy: true, delimiter: ',', description: 'speak only with these voices (comma-separated): espeak voices, variants or voice+variant pairs, or ENGINE:NAME such as svox:en-GB, gnuspeech:female'}),
    'exclude-voices': Flags.string({multiple: true, multipleNonGreedy: true, delimiter: ',', description: 'never speak with these voices (comma-separated; names as for --voices)'}),
    'rate-range': Flags.string({default: '120:220', description: 'espeak speaking rate range, words per minute (low:high, 80..450)'}),
    'pitch-range': Flags.string({default: '30:80', description: 'espeak base pitch range (low:high, 0..100; 50 is the variant\'s own)'}),
    'negatives-for': Flags.string({description: 'speak negatives for this trigger word instead of WORDs: confusable and common words'}),
    force: Flags.boolean({description: 'replace an existing output folder'}),
    'list-voices': Flags.boolean({description: 'print the English voices (and espeak\'s variants) of the --engine synthesizers and exit'}),
    'list-words': Flags.boolean({description: 'print the words that would be spoken and exit'}),
  }

  async run(): Promise<TtsResult> {
    const {argv, flags} = await this.parse(TtsCommand)
    const words = (argv as string[]).map((w) => w.trim())
    const trigger = flags['negatives-for']
    const rateRange = parseRange(flags['rate-range'], 'rate')
    const pitchRange = parseRange(flags['pitch-range'], 'pitch')
    const engineNames = parseEngines(flags.engine)

    if (flags['list-voices']) {
      const engines = await TtsEngines.load(engineNames)
      const catalogs: Partial<Record<EngineName, VoiceCatalog>> = {}
      for (const engine of engines.engines) {
        const catalog = engines.catalog(engine)
        catalogs[engine] = catalog
        if (engine === 'espeak') {
          this.log(`voices (${catalog.voices.length}): ${catalog.voices.join(' ')}`)
          this.log(`variants (${catalog.variants.length}): ${catalog.variants.map((v) => (v.includes(' ') ? `"${v}"` : v)).join(' ')}`)
        } else {
          this.log(`${engine} voices (${catalog.voices.length}): ${catalog.voices.map((v) => `${engine}:${v}`).join(' ')}`)
        }
      }
      // espeak alone answers --json with its catalog, as it did before there were other engines.
      return engineNames.length === 1 && engineNames[0] === 'espeak' ? catalogs.espeak! : catalogs
    }
    if (trigger !== undefined && words.length > 0) throw new UserError('Give WORDs to speak or --negatives-for TRIGGER, not both', 'usage')
    if (trigger === undefined && words.length === 0) throw new UserError('Nothing to speak: give one or more WORDs (e.g. rnn-wake tts activate) or --negatives-for TRIGGER', 'usage')
    if (words.some((w) => w === '')) throw new UserError('Cannot speak an empty word: give the text to say, e.g. "activate"', 'usage')
    if (flags['list-words']) {
      if (trigger === undefined) {
        this.log(words.join('\n'))
        return {words}
      }
      const lists = negativeWords(trigger, flags.seed)
      this.log(`# confusable with "${trigger}"\n${lists.confusable.join('\n')}\n# common\n${lists.common.join('\n')}`)
      return lists
    }
    if (flags.count < 1) throw new UserError(`--count must be at least 1 (got ${flags.count})`, 'usage')
    if (!flags.out) throw new UserError('Missing --out DIR: the folder to write the clips to', 'usage')

    const engines = await TtsEngines.load(engineNames)
    const pool = engines.selectVoices(flags.voices, flags['exclude-voices'])
    const options = {seed: flags.seed, rateRange, pitchRange}
    const groups: ClipGroup[] =
      trigger === undefined
        ? words.map((word) => ({folder: words.length === 1 ? '' : folderName(word), clips: planWord(word, flags.count, pool, options)}))
        : [{folder: '', clips: planNegatives(trigger, flags.count, pool, options)}]
    const total = groups.reduce((n, g) => n + g.clips.length, 0)

    const started = performance.now()
    const progress = createProgress(total, 'tts')
    let summary: WriteSummary
    try {
      summary = await writeTtsClips(flags.out, groups, engines, {force: flags.force, onClip: (done) => progress.update(done)})
    } finally {
      progress.stop()
    }
    const elapsed = (performance.now() - started) / 1000
    const where = summary.folders.length > 1 ? ` in ${summary.folders.length} word folders` : ''
    this.log(`Wrote ${summary.clips} clips${where} to ${summary.out} in ${elapsed.toFixed(1)} s: ${summary.seconds.toFixed(1)} s of audio, each clip in one of ${describeVoicePool(pool)}`)
    return summary
  }
}
