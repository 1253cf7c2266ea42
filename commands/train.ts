import {availableParallelism} from 'node:os'
import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {DEFAULT_PROCEDURAL_BACKGROUNDS, defaultBackgrounds} from '../src/dataset/backgrounds.js'
import {listEntries} from '../src/dataset/clips.js'
import {COURSE_PARAMS, COURSE_TRIGGER, type Range, type SynthParams} from '../src/dataset/index.js'
import {type BackendChoice, BACKEND_CHOICES, selectBackend} from '../src/model/backend.js'
import {courseFeatures, readModelConfig, spectrogramFeatures} from '../src/model/config.js'
import {PRESETS, getPreset} from '../src/model/presets.js'
import {type TokenUnit, parsePhrases} from '../src/dataset/phrases.js'
import {parseVoiceAugments} from '../src/dataset/voice-augment.js'
import {parseAugments} from '../src/features/augment.js'
import {LOG_FEATURES, RAW_FEATURES} from '../src/features/transform.js'
import {COURSE_SPECTROGRAM, binCount, frameCount} from '../src/features/spectrogram.js'
import {SAMPLE_RATE} from '../src/audio/read.js'
import {type ClipFolders, type ResolvedCorpus, resolveClipCorpus, resolveDatasetCorpus} from '../src/train/corpus.js'
import {recipeFor} from '../src/train/recipes.js'
import {type SpeechCalibration, calibrateOnSpeech} from '../src/metrics/calibrate.js'
import {listWavs} from '../src/metrics/evaluate-model.js'
import {type TrainResult, train} from '../src/train/trainer.js'
import {defaultRecipe, trainEmbeddingDetector} from '../src/train/embedding/recipe.js'
import {prepareOutput} from '../src/train/embedding/output.js'
import {existingFolder} from '../src/util/atomic.js'
import type {DomainLayer} from '../src/train/embedding/domain.js'
import {BaseCommand} from '../src/util/base-command.js'
import {InputError, UserError, exitCodesHelp} from '../src/util/errors.js'
import {type Progress, createProgress} from '../src/util/progress.js'

function parseRange(flag: string, input: string | undefined, lo: number, hi: number): Range | null {
  if (input === undefined) return null
  const values = input.split(',').map((s) => Number(s.trim()))
  if (values.length < 1 || values.length > 2 || values.some((v) => !Number.isFinite(v))) throw new UserError(`${flag} must be LOW,HIGH or one number, not "${input}"`, 'usage')
  const [a, b] = values.length === 1 ? [values[0], values[0]] : values
  if (a > b || a < lo || b > hi) throw new UserError(`${flag} must lie in ${lo}..${hi} with LOW <= HIGH, not "${input}"`, 'usage')
  return [a, b]
}

/** Flags the speech-embedding recipe does not read: typing one selects the spectrogram recipe. */
const SPECTROGRAM_FLAGS = [
  'data', 'clips', 'words', 'ctc-unit', 'ctc-vocabulary', 'ctc-align-weight', 'procedural-backgrounds', 'snr', 'max-triggers', 'max-negatives',
  'speed', 'epoch-size', 'val', 'val-split', 'val-count', 'val-every', 'calibrate-on', 'max-frr', 'preset', 'features', 'max-hz', 'crop', 'epochs', 'batch', 'lr', 'lr-decay',
  'crop-around', 'class-weight', 'hard-negative-weight', 'init-from', 'from', 'freeze', 'init-member', 'resume', 'keep-optimizer', 'workers', 'threads', 'budget-cpu-minutes',
]

/** Flags only the speech-embedding recipe reads. */
const EMBEDDING_FLAGS = ['steps', 'data-seed', 'no-cache', 'bank', 'context-words', 'mine', 'word-head', 'word-bank', 'voice-map', 'networks', 'calibration-bank'] as const

export function spectrogramFlagsGiven(argv: readonly string[]): string[] {
  const given = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]))
  return SPECTROGRAM_FLAGS.filter((f) => given.has(f))
}

interface EmbeddingFlags {
  backgrounds?: string[]
  activates?: string[]
  negatives?: string[]
  trigger?: string
  out: string
  force: boolean
  backend?: string
  seed: number
  steps?: number
  'data-seed'?: number
  'no-cache': boolean
  'context-words'?: number
  mine?: number
  networks?: number
  'domain-weight'?: string
  'positive-target'?: string
  'bank-mix'?: string
  'input-noise'?: string
  'word-head'?: number
  'word-bank'?: string
  'voice-map'?: string
  'domain-layer'?: string
  augment?: string
  phrases?: string
  'phrase-prob'?: string
  'ctc-weight'?: string
  bank?: string
  'calibration-bank'?: string
  'target-fa': string
}

export default class Train extends BaseCommand {
  static override summary = 'Train a wake-word detector (GRU many-to-many) and save it as a model directory.'

  static override description = `Two recipes. The default (speech-embedding, used when none of the spectrogram recipe's flags is given) trains a GRU many-to-many detector on Google's pretrained speech embedding (data/speech-embedding, Apache-2.0): each clip of the word (--activates, repeatable) is mixed once into a 3.2 s example after up to two other words (--negatives clips) over procedural noise or --backgrounds, run through the front end once (cached in ~/.cache/rnn-wake/examples), and three networks (--networks; seeds --seed, --seed + 1, --seed + 2) are each trained for --steps (400) Adam steps on sequences that join it to hours of real speech from a shipped bank of features (data/speech-bank/train.bank; --bank), labels = ones for 0.48 s after the word; the model averages them, as "rnn-wake ensemble" would (three 400-step networks cost what one of 1,200 steps does and missed fewer real triggers). Its threshold is then set on real speech it never trained on (data/speech-bank/calibration.bank, 0.59 h; --calibration-bank) at --target-fa false accepts per hour, and train says on how many hours and warns when they are too few to show the target (rule of three: 3/target hours). --phrases "lights on,play music" adds a CTC token head (the trigger's and the phrases' words; each phrase word said by --negatives clips made by "rnn-wake tts", whose manifests name them): half the trigger examples (--phrase-prob) go on with a phrase, and "detect"/"listen" print what follows the trigger. --mine N scores the bank N times during training and trains more on where the network fires (hard negatives); --word-head N: while the networks train, a CTC head beside the trigger's names every other word with N or more clips (default 20; 0: off): the ten words of a shipped word bank (data/word-bank: Speech Commands words said by people and by the synthesizers; --word-bank FILE or none; words that sound like the trigger are left out) and the words of --negatives named by a manifest.jsonl (rnn-wake tts and record write one), so the GRU must hear words in people's voices as in the synthesizers' (real-voice benchmark, TTS only, three seeds: 28% of real triggers missed against 34% without it, four words better, happy worse; not saved with the model; --phrases' token head takes its place); --context-words N sets how many other words may come just before the word (default 2); --bank none trains on your clips alone.

The spectrogram recipe (the course's method; --recipe spectrogram, or any flag below that only it reads, such as --epochs, --preset or --data) learns from a synthesized dataset (--data DIR, made by "rnn-wake synthesize") or from clip folders, synthesizing fresh examples every epoch with the course's method (--activates/--negatives/--backgrounds, or --words DIR --trigger NAME; --activates, --negatives and --backgrounds may be repeated). Adam on the per-step binary cross-entropy (--class-weight weights the positive steps).

After every epoch the model is scored on validation examples as a detector: missed triggers and false accepts at its threshold (FRR and false accepts per hour), and the whole model directory is rewritten atomically as a checkpoint: model.json + weights.bin (a standard TensorFlow.js Layers model), rnn-wake.json (front end, preset, trigger threshold and refractory steps, training facts), training.json (epoch and history), Adam's state (optimizer.json/.bin) and training-curve.png. The threshold is chosen on validation: the lowest miss rate whose false accepts stay within --target-fa per hour if that misses at most --max-frr of the triggers, else the highest threshold missing at most --max-frr, else 0.5.

--resume continues from the last checkpoint with its optimizer state; --epochs is the total. Ctrl-C saves a checkpoint and exits with code 130. Only one training run may write a directory at a time (exit 7).

${exitCodesHelp(['usage', 'badInput', 'badModel', 'output', 'busy', 'interrupted'], {interrupted: 'after saving a checkpoint'})}

Transcription (CTC): --ctc-weight W > 0 adds a token head beside the trigger head (a per-step softmax over the vocabulary plus a blank, on the same GRUs) and trains both on BCE + W x CTC, where the CTC term is each example's -log p(transcript) per output step. Off by default (0), so a detector trains exactly as without it. The vocabulary is every word the data can hold (--data: the dataset's words; clips: the trigger, the negatives' words from their tts manifests, the phrases' words), as words or, with --ctc-unit char, characters; it is saved in rnn-wake.json and "detect"/"listen" then print what follows the trigger. A crop's target is the words it holds completely; a word cut by the crop's edge is left out of the target. --ctc-vocabulary "activate,lights,on,off" limits the head to those words: the others are left out of its targets, so it learns to stay silent on them. Synthesized examples know where each word ends, so beside CTC the head is also asked (--ctc-align-weight, default 1) for each word's token in the 0.045 s after it ends (a balanced cross-entropy: word steps weigh as much as all blank steps) and blank elsewhere: one valid CTC path, which gives the shared GRUs a dense signal like the trigger labels; CTC alone stayed at the all-blank plateau within this machine's budgets (bench/RESULTS.md). --phrases "lights on,lights off" (and --phrase-prob) makes triggers followed by command phrases, as "rnn-wake synthesize" does; the phrase words come from --words folders, or from --negatives clips made by "rnn-wake tts" (their manifests name the words).

Presets: course (the course model on raw spectrograms and whole 10 s clips), default (stride-8 convolution, two 64-unit GRUs, log spectrogram, 3 s crops around the labels: much cheaper per example), tiny (for tests).`

  static override examples = [
    {description: 'The default recipe from TTS clips alone (speech embedding, the shipped real-speech bank as negatives, threshold set on real speech): a few minutes.', command: '<%= config.bin %> <%= command.id %> --activates clips/activate --negatives clips/negatives --trigger activate --out models/mine'},
    {description: 'Add your own recordings of the word (rnn-wake record), another seed.', command: '<%= config.bin %> <%= command.id %> --activates clips/activate --activates clips/mine --negatives clips/negatives --trigger activate --seed 2 --out models/mine-2'},
    {description: 'With a token head that transcribes commands after the trigger (clips of the command words from rnn-wake tts lights on off play music --out clips/commands).', command: '<%= config.bin %> <%= command.id %> --activates clips/activate --negatives clips/negatives --negatives clips/commands/lights --negatives clips/commands/on --negatives clips/commands/off --negatives clips/commands/play --negatives clips/commands/music --trigger activate --phrases "lights on,lights off,play music" --out models/mine-commands'},
    {description: 'The spectrogram recipe (the course\'s method), synthesizing on the fly over procedural backgrounds.', command: '<%= config.bin %> <%= command.id %> --activates clips/activate --negatives clips/negatives --epochs 12 --out models/mine-spectrogram'},
    {description: 'The course model on a synthesized dataset.', command: '<%= config.bin %> <%= command.id %> --data datasets/train --preset course --batch 16 --lr 1e-4 --out models/course'},
    {description: 'Continue an interrupted run.', command: '<%= config.bin %> <%= command.id %> --data datasets/train --preset course --out models/course --resume'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    data: Flags.string({summary: 'Synthesized dataset folder to train on.', helpGroup: 'DATA', exclusive: ['clips', 'activates', 'words']}),
    clips: Flags.boolean({summary: 'Synthesize examples on the fly from clip folders (implied by --activates or --words).', helpGroup: 'DATA', default: false}),
    activates: Flags.string({summary: 'Folder of trigger clips (repeatable).', helpGroup: 'DATA', multiple: true, exclusive: ['words']}),
    negatives: Flags.string({summary: 'Folder of other-word clips (repeatable).', helpGroup: 'DATA', multiple: true, exclusive: ['words']}),
    words: Flags.string({summary: 'Folder with one subfolder of clips per word; --trigger names the trigger.', helpGroup: 'DATA', dependsOn: ['trigger']}),
    trigger: Flags.string({summary: `The trigger word (default "${COURSE_TRIGGER}"; with --words: its subfolder).`, helpGroup: 'DATA'}),
    backgrounds: Flags.string({summary: `Folder of background recordings (repeatable; with none and no --procedural-backgrounds: ${DEFAULT_PROCEDURAL_BACKGROUNDS} procedural ones).`, helpGroup: 'DATA', multiple: true}),
    phrases: Flags.string({summary: 'Command phrases that may follow the trigger, comma-separated (each word: a folder in --words, or clips in a --negatives folder made by "rnn-wake tts").', helpGroup: 'DATA'}),
    'phrase-prob': Flags.string({summary: 'Probability that a trigger is followed by a phrase (with --phrases).', helpGroup: 'DATA', dependsOn: ['phrases']}),
    'ctc-weight': Flags.string({summary: 'Weight of the CTC loss of a token head trained beside the trigger head (default 0: no token head; on --resume: the run\'s own).', helpGroup: 'TRANSCRIPTION'}),
    'ctc-unit': Flags.string({summary: 'Tokens of the CTC head: whole words or characters.', helpGroup: 'TRANSCRIPTION', options: ['word', 'char'], default: 'word'}),
    'ctc-vocabulary': Flags.string({summary: 'Words the token head transcribes, comma-separated (default: every word in the data); it stays silent on others.', helpGroup: 'TRANSCRIPTION'}),
    'ctc-align-weight': Flags.string({summary: 'Weight of the per-step cross-entropy against where each word ends (word units) or against its letters spread evenly over the word (char units), beside CTC (default 1; 0: CTC alone).', helpGroup: 'TRANSCRIPTION'}),
    'procedural-backgrounds': Flags.integer({summary: 'Add this many generated 10 s backgrounds (noise colours, hum, babble of negative words).', helpGroup: 'DATA', default: 0, min: 0}),
    snr: Flags.string({summary: 'Clip-to-background ratio in dB, LOW,HIGH (default: the course\'s levels).', helpGroup: 'DATA'}),
    'max-triggers': Flags.integer({summary: 'Triggers per synthesized example are uniform in 0..N.', helpGroup: 'DATA', default: COURSE_PARAMS.maxTriggers, min: 0}),
    'max-negatives': Flags.integer({summary: 'Negative words per synthesized example are uniform in 0..N (more: more non-trigger speech to learn from).', helpGroup: 'DATA', default: COURSE_PARAMS.maxNegatives, min: 0}),
    speed: Flags.string({summary: 'Speed perturbation by resampling, LOW,HIGH (default: off).', helpGroup: 'DATA'}),
    'epoch-size': Flags.integer({summary: 'Examples per epoch when synthesizing on the fly.', helpGroup: 'DATA', default: 640, min: 1}),
    val: Flags.string({summary: 'Validation dataset folder (with --data).', helpGroup: 'VALIDATION', dependsOn: ['data']}),
    'val-split': Flags.string({summary: 'Fraction held out for validation: of the examples (--data) or of the clip files (clips).', helpGroup: 'VALIDATION', default: '0.1'}),
    'val-count': Flags.integer({summary: 'Validation examples synthesized from the held-out clips.', helpGroup: 'VALIDATION', default: 64, min: 1}),
    'val-every': Flags.integer({summary: 'Validate after every N epochs (and after the last); the model trained is the same for any N.', helpGroup: 'VALIDATION', default: 1, min: 1}),
    'target-fa': Flags.string({summary: 'False accepts per hour the threshold must stay within on validation (and on --calibrate-on audio).', helpGroup: 'VALIDATION', default: '0.5'}),
    'calibrate-on': Flags.string({
      summary: 'Folder or file of real non-trigger audio (people talking) to calibrate on after training (repeatable).',
      description:
        'Once training has finished, the saved threshold is raised, if need be, to the lowest one that fires at most --target-fa times an hour on this audio. A threshold chosen on synthetic validation alone can fire hundreds of times an hour on real speech. Never a recording that says the word; "evaluate --negatives DIR --target-fa N --write-threshold" does the same later.',
      helpGroup: 'VALIDATION',
      multiple: true,
    }),
    'max-frr': Flags.string({summary: 'Highest validation miss rate the chosen threshold may have.', helpGroup: 'VALIDATION', default: '0.05'}),
    preset: Flags.string({summary: 'Network preset (default: default; with --from: the encoder\'s).', options: Object.keys(PRESETS)}),
    features: Flags.string({summary: 'Spectrogram transform: raw (the course) or log (log10(psd + 0.01)). Default: the preset\'s.', options: ['raw', 'log']}),
    'max-hz': Flags.string({summary: 'Log features: keep only the spectrogram bins up to this frequency (e.g. 8000: what a 16 kHz recording holds). Default: all bins, up to 22.05 kHz.'}),
    crop: Flags.string({summary: 'Train on crops of this many seconds around the labels (0: whole examples). Default: the preset\'s.'}),
    epochs: Flags.integer({summary: 'Total epochs.', default: 18, min: 1}),
    batch: Flags.integer({summary: 'Examples per step.', default: 16, min: 1}),
    lr: Flags.string({summary: 'Adam learning rate.', default: '0.003'}),
    'lr-decay': Flags.string({summary: 'Learning-rate factor per epoch (epoch e uses lr x decay^(e-1)).', default: '0.85'}),
    'crop-around': Flags.string({summary: 'Fraction of crops placed around a trigger (the rest anywhere).', default: '0.5'}),
    'class-weight': Flags.string({summary: 'Weight of the positive (trigger) steps in the cross-entropy.', default: '1'}),
    'hard-negative-weight': Flags.string({summary: 'Weight of the steps just after each other word (where a detector that mistakes it for the trigger fires) in the cross-entropy.', default: '1'}),
    augment: Flags.string({summary: 'Voice and channel augmentation of training examples: all, none, or a comma list. Speech-embedding recipe (on the audio, positives and negatives alike): speed (0.88-1.12, tempo and pitch), eq (2-3 random peaking bands), reverb (a synthetic room, RT60 0.15-0.8 s). Spectrogram recipe: warp (vocal tract length), eq (random equaliser and tilt), band (low-pass 3.4-8 kHz, high-pass), reverb, noise (device noise floor), level, mask (SpecAugment). Each applies to half the examples. Default none (on --resume: the run\'s own).'}),
    'init-from': Flags.string({summary: 'Start from the weights of this trained model directory instead of random ones, e.g. to fine-tune with new data (its preset and front end, unless --preset, --features or --max-hz are given).'}),
    from: Flags.string({
      summary: 'Build the detector on a pretrained speech encoder (e.g. models/encoder): its Conv1D and GRUs start from the encoder, the heads afresh; the network and front end are the encoder\'s.',
      exclusive: ['init-from', 'preset', 'features', 'max-hz'],
    }),
    freeze: Flags.boolean({summary: 'With --from: keep the encoder as pretrained and train only the heads (faster; see bench/RESULTS.md, encoder).', dependsOn: ['from']}),
    'init-member': Flags.integer({summary: 'With --init-from an ensemble: which of its networks (default 1, the top-level one).', min: 1, dependsOn: ['init-from']}),
    seed: Flags.integer({summary: 'Random seed: splits, examples, initial weights and dropout masks (same seed, data and --threads: same model).', default: 0, min: 0}),
    out: Flags.string({summary: 'Model directory to write.', required: true}),
    resume: Flags.boolean({summary: 'Continue the run saved in --out (optimizer state included).', default: false}),
    force: Flags.boolean({summary: 'Replace a model already in --out.', default: false, exclusive: ['resume']}),
    'keep-optimizer': Flags.boolean({summary: 'Keep Adam\'s state in the finished directory (to train it further with --resume).', default: false}),
    backend: Flags.string({summary: 'TensorFlow.js backend (default: node if installed, else wasm).', options: [...BACKEND_CHOICES]}),
    workers: Flags.integer({summary: 'Threads making examples beside the training thread (0: in the training thread).', default: 1, min: 0}),
    threads: Flags.integer({summary: 'Threads computing each step\'s gradients, each on a share of the batch (data-parallel, for the single-threaded wasm backend). Default: 2 on whole 10 s examples (course preset: 5.9 against 3.4 examples/s on 2 cores), 1 on crops (there, making examples is the bottleneck).', min: 1, max: 8}),
    recipe: Flags.string({
      summary: 'How to train: speech-embedding (the default with clip folders: a GRU on a pretrained speech embedding, real speech as negatives, threshold set on real speech) or spectrogram (the course\'s method; implied by --data, --words, --preset, --features, --max-hz, --from, --init-from or --resume).',
      options: ['speech-embedding', 'spectrogram'],
    }),
    steps: Flags.integer({summary: 'speech-embedding recipe: optimizer steps of each network (default 400).', min: 1}),
    'data-seed': Flags.integer({summary: 'speech-embedding recipe: seed of the examples\' mixing and held-out split (default: --seed); runs that share it share cached examples.', min: 0}),
    'no-cache': Flags.boolean({summary: 'speech-embedding recipe: do not read or write the cache of embedded examples (~/.cache/rnn-wake/examples).', default: false}),
    bank: Flags.string({summary: 'speech-embedding recipe: bank of real-speech features to train on (default: the shipped data/speech-bank/train.bank; "none": only your clips).'}),
    'context-words': Flags.integer({summary: 'speech-embedding recipe: most other words said just before the word in a training example (default 2; 0: the word alone).', min: 0, max: 4}),
    networks: Flags.integer({summary: 'speech-embedding recipe: networks to train (seeds --seed, --seed + 1, ...) on the same examples and average, as "rnn-wake ensemble" does; threshold, held-out check and decoder are the average\'s (default 3; 1: one network).', min: 1, max: 10}),
    'positive-target': Flags.string({summary: 'speech-embedding recipe: target of the trigger steps, in [0.5, 1] (below 1: label smoothing; experimental, default 1).', hidden: true}),
    'bank-mix': Flags.string({summary: 'speech-embedding recipe: blend half the examples\' steps with recorded speech by up to this share, in [0, 1) (experimental; default off).', hidden: true}),
    'input-noise': Flags.string({summary: 'speech-embedding recipe: Gaussian noise of this standard deviation on the examples\' embedding steps (experimental; default off).', hidden: true}),
    'domain-weight': Flags.string({summary: 'speech-embedding recipe: weight of a domain-adversarial critic telling your examples from the bank\'s recorded speech (experimental; default off).', hidden: true}),
    'domain-layer': Flags.string({summary: 'speech-embedding recipe: the features the domain critic reads.', options: ['projection', 'recurrent'], hidden: true, dependsOn: ['domain-weight']}),
    'word-head': Flags.integer({summary: 'speech-embedding recipe: while training, a CTC head also names every other word with at least this many clips, among --word-bank\'s and --negatives\' (named by a manifest.jsonl, as rnn-wake tts and record write); not saved with the model (default 20; 0: off, and no word bank; not with --phrases).', min: 0}),
    'word-bank': Flags.string({summary: 'speech-embedding recipe: bank of examples of other words said by people and synthesizers, named, for the word head and as negatives (default: the shipped data/word-bank/words.bank; "none": no bank).'}),
    'voice-map': Flags.string({summary: 'speech-embedding recipe: linear map of embedding steps toward people\'s voices (bench/embedding/make-voice-map.mjs) that half the examples\' rows go through while training (experimental; default none).', hidden: true}),
    mine: Flags.integer({summary: 'speech-embedding recipe: rounds of hard-negative mining (score the bank, train more on where the network fires; default 2; 0: none).', min: 0, max: 10}),
    'calibration-bank': Flags.string({summary: 'speech-embedding recipe: bank of real speech never trained on, where the threshold is set (default: the shipped data/speech-bank/calibration.bank).'}),
    'budget-cpu-minutes': Flags.string({summary: 'Stop once training steps used this many CPU minutes (then validate and save); for benchmarks.', hidden: true}),
  }

  /** The default recipe (src/train/embedding): clip folders in, a speech-embedding detector out. */
  private async trainEmbedding(flags: EmbeddingFlags, num: (flag: string, value: string, min: number, max?: number) => number): Promise<TrainResult> {
    if (!flags.activates?.length) throw new UserError('Training needs clips of the word: --activates DIR (e.g. made by "rnn-wake tts WORD --out DIR")', 'usage')
    const word = flags.trigger ?? COURSE_TRIGGER
    await prepareOutput(flags.out, flags.force)
    await selectBackend(flags.backend as BackendChoice | undefined)
    const recipe = defaultRecipe(word, flags.out, flags.activates, flags.negatives ?? [])
    recipe.backgrounds = flags.backgrounds ?? []
    recipe.seed = flags.seed
    if (flags.steps !== undefined) recipe.steps = flags.steps
    if (flags['data-seed'] !== undefined) recipe.dataSeed = flags['data-seed']
    if (flags['no-cache']) recipe.cacheDir = undefined
    if (flags.bank !== undefined) recipe.bank = flags.bank
    if (flags['context-words'] !== undefined) recipe.contextWords = flags['context-words']
    if (flags.mine !== undefined) recipe.mineRounds = flags.mine
    if (flags.networks !== undefined) recipe.networks = flags.networks
    if (flags['positive-target'] !== undefined) recipe.positiveTarget = num('positive-target', flags['positive-target'], 0.5, 1)
    if (flags['bank-mix'] !== undefined) recipe.bankMix = num('bank-mix', flags['bank-mix'], 0, 0.99)
    if (flags['input-noise'] !== undefined) recipe.inputNoise = num('input-noise', flags['input-noise'], 0)
    if (flags['word-head'] !== undefined) recipe.wordHead = flags['word-head']
    if (flags['word-bank'] !== undefined) recipe.wordBank = flags['word-bank']
    if (flags['voice-map'] !== undefined) recipe.voiceMap = flags['voice-map']
    if (flags['domain-weight'] !== undefined) recipe.domain = {weight: num('domain-weight', flags['domain-weight'], 0), layer: (flags['domain-layer'] ?? 'recurrent') as DomainLayer}
    if (flags.augment !== undefined) {
      try {
        recipe.augment = parseVoiceAugments(flags.augment)
      } catch (error) {
        throw new UserError(`--augment: ${(error as Error).message}`, 'usage')
      }
    }
    if (flags.phrases !== undefined) {
      // The phrases' token head takes the default word head's place (one token head per network; the recipe refuses both).
      if (flags['word-head'] === undefined) recipe.wordHead = 0
      recipe.phrases = parsePhrases(flags.phrases, ',', '--phrases')
      if (flags['phrase-prob'] !== undefined) recipe.phraseProbability = num('phrase-prob', flags['phrase-prob'], 0, 1)
      if (flags['ctc-weight'] !== undefined) recipe.ctcWeight = num('ctc-weight', flags['ctc-weight'], Number.MIN_VALUE)
    } else if (flags['ctc-weight'] !== undefined) {
      throw new UserError('The speech-embedding recipe adds its token head with --phrases (the words to transcribe after the trigger); --ctc-weight alone has nothing to learn', 'usage')
    }
    if (flags['calibration-bank'] !== undefined) recipe.calibrationBank = flags['calibration-bank']
    recipe.targetFaPerHour = num('target-fa', flags['target-fa'], Number.MIN_VALUE)
    const log = (line: string) => this.logToStderr(line)
    const networks = recipe.networks ?? 1
    const mining = recipe.mineRounds ? `, ${recipe.mineRounds} round${recipe.mineRounds > 1 ? 's' : ''} of hard-negative mining` : ''
    log(`Training "${word}" with the speech-embedding recipe (${networks > 1 ? `${networks} networks of ` : ''}${recipe.steps} steps${mining}) into ${flags.out}`)
    const result = await trainEmbeddingDetector(recipe, log)
    log(`Saved ${flags.out} (${result.seconds.toFixed(0)} s)`)
    return result as unknown as TrainResult
  }

  async run(): Promise<TrainResult> {
    const {flags} = await this.parse(Train)
    const num = (flag: string, value: string, min: number, max = Infinity): number => {
      const v = Number(value)
      if (!Number.isFinite(v) || v < min || v > max) throw new UserError(`--${flag} must be a number in [${min}, ${max}], not "${value}"`, 'usage')
      return v
    }
    // Flags only the spectrogram recipe reads, as typed (defaults do not count): any of them selects it.
    const given = spectrogramFlagsGiven(this.argv)
    const recipeName = flags.recipe ?? (given.length > 0 ? 'spectrogram' : 'speech-embedding')
    if (recipeName === 'speech-embedding') {
      if (given.length > 0) throw new UserError(`--recipe speech-embedding cannot take --${given[0]} (a spectrogram-recipe flag; see train --help)`, 'usage')
      return this.trainEmbedding(flags, num)
    }
    const embeddingOnly = EMBEDDING_FLAGS.find((f) => flags[f] !== undefined && flags[f] !== false)
    if (embeddingOnly !== undefined) throw new UserError(`The spectrogram recipe cannot take --${embeddingOnly} (a speech-embedding-recipe flag; see train --help)`, 'usage')
    // A file at --out is refused in one line before any work (the checkpoint code would meet it as a raw ENOTDIR).
    await existingFolder(flags.out)
    const valSplit = num('val-split', flags['val-split'], 0, 0.9)
    const targetFaPerHour = num('target-fa', flags['target-fa'], 0)
    // Checked before training, not after it: a wrong folder should not cost a training run.
    for (const path of flags['calibrate-on'] ?? []) if ((await listWavs(path)).length === 0) throw new InputError(path, 'no audio files to calibrate on (--calibrate-on)')
    // The network and front end come from --from's encoder, or from --init-from's model unless the flags name them.
    const startFrom = flags.from ?? (flags.preset === undefined && flags.features === undefined && flags['max-hz'] === undefined ? flags['init-from'] : undefined)
    const encoderConfig = startFrom === undefined ? undefined : await readModelConfig(startFrom)
    const encoder = encoderConfig && startFrom !== undefined ? {...encoderConfig, features: spectrogramFeatures(encoderConfig, startFrom, 'fine-tuning with the spectrogram recipe')} : undefined
    let preset = encoder?.preset ?? getPreset(flags.preset ?? 'default')
    const recipe = recipeFor(preset.name)
    let transform = encoder?.features.transform ?? (flags.features === undefined ? recipe.transform : flags.features === 'log' ? LOG_FEATURES : RAW_FEATURES)
    if (flags['max-hz'] !== undefined) {
      if (transform.kind !== 'log10') throw new UserError('--max-hz needs log features (--features log, or a preset that uses them)', 'usage')
      const spectrogramBins = binCount(COURSE_SPECTROGRAM)
      const binHz = SAMPLE_RATE / COURSE_SPECTROGRAM.nfft
      const bins = Math.min(spectrogramBins, Math.floor(num('max-hz', flags['max-hz'], binHz, SAMPLE_RATE / 2) / binHz) + 1)
      transform = {...transform, bins}
      preset = {...preset, features: bins}
    }
    const features = encoder?.features ?? courseFeatures(transform)
    const cropSec = flags.crop === undefined ? recipe.cropSec : num('crop', flags.crop, 0, 10) || null
    const cropFrames = cropSec === null ? null : frameCount(Math.round(cropSec * features.sampleRate), features.spectrogram)

    let corpus: ResolvedCorpus
    let word: string
    if (flags.data !== undefined) {
      corpus = await resolveDatasetCorpus(flags.data, {val: flags.val, valSplit: valSplit || 0.1, seed: flags.seed})
      word = String((corpus.describe.trigger as string | undefined) ?? flags.trigger ?? COURSE_TRIGGER)
    } else {
      if (!flags.activates && !flags.words) throw new UserError('Give --data DIR (a synthesized dataset) or clip folders (--activates, --negatives, --backgrounds; or --words and --trigger)', 'usage')
      const background = defaultBackgrounds(flags.backgrounds?.length ?? 0, flags['procedural-backgrounds'])
      if (background.note) this.logToStderr(background.note)
      const folders = await this.clipFolders(flags)
      word = folders.trigger
      const params: SynthParams = {
        ...COURSE_PARAMS,
        snrDb: parseRange('--snr', flags.snr, -80, 80),
        speed: parseRange('--speed', flags.speed, 0.5, 2),
        ...(flags['phrase-prob'] === undefined ? {} : {phraseProb: num('phrase-prob', flags['phrase-prob'], 0, 1)}),
        maxTriggers: flags['max-triggers'],
        maxNegatives: flags['max-negatives'],
      }
      corpus = await resolveClipCorpus(folders, params, {valSplit, seed: flags.seed, procedural: background.procedural})
    }

    const backend = await selectBackend(flags.backend as BackendChoice | undefined)
    this.log(`Training preset ${preset.name} (${transform.kind === 'none' ? 'raw' : 'log'} features, ${cropSec === null ? 'whole 10 s examples' : `${cropSec} s crops`}) on the ${backend} backend`)

    const abort = new AbortController()
    const onSigint = (): void => {
      if (!abort.signal.aborted) process.stderr.write('\nCtrl-C: finishing this step and saving a checkpoint (Ctrl-C again to quit without saving)\n')
      else process.exit(130)
      abort.abort()
    }
    process.on('SIGINT', onSigint)
    let progress: Progress | undefined
    try {
      const result = await train({
        out: flags.out,
        word,
        preset,
        features,
        corpus,
        epochs: flags.epochs,
        batch: flags.batch,
        lr: num('lr', flags.lr, 1e-7, 1),
        lrDecay: num('lr-decay', flags['lr-decay'], 0.01, 1),
        cropAroundLabels: num('crop-around', flags['crop-around'], 0, 1),
        classWeight: num('class-weight', flags['class-weight'], 0.01, 1000),
        hardNegativeWeight: num('hard-negative-weight', flags['hard-negative-weight'], 0.01, 1000),
        ...(flags.augment === undefined ? {} : {augment: parseAugments(flags.augment)}),
        ...(flags['init-from'] === undefined ? {} : {initFrom: flags['init-from'], initMember: flags['init-member']}),
        ...(flags.from === undefined ? {} : {from: flags.from, freeze: flags.freeze}),
        seed: flags.seed,
        epochSize: flags['epoch-size'],
        cropFrames,
        valCount: flags['val-count'],
        valEvery: flags['val-every'],
        workers: flags.workers,
        threads: flags.threads ?? (cropSec === null && backend === 'wasm' ? Math.min(2, availableParallelism()) : 1),
        resume: flags.resume,
        force: flags.force,
        targetFaPerHour,
        maxFrr: num('max-frr', flags['max-frr'], 0, 1),
        keepOptimizer: flags['keep-optimizer'],
        ctcWeight: flags['ctc-weight'] === undefined ? undefined : num('ctc-weight', flags['ctc-weight'], 0, 1000),
        ctcUnit: flags['ctc-unit'] as TokenUnit,
        ...(flags['ctc-vocabulary'] === undefined ? {} : {ctcVocabulary: vocabularyWords(flags['ctc-vocabulary'])}),
        ...(flags['ctc-align-weight'] === undefined ? {} : {ctcAlignWeight: num('ctc-align-weight', flags['ctc-align-weight'], 0, 1000)}),
        budgetCpuSec: flags['budget-cpu-minutes'] === undefined ? undefined : 60 * num('budget-cpu-minutes', flags['budget-cpu-minutes'], 0),
        backend,
        signal: abort.signal,
        log: (line) => this.log(line),
        onEpochStart: (epoch, total) => {
          progress = createProgress(total, `epoch ${epoch}/${flags.epochs}`, process.stderr, ' | loss {loss} | {rate} ex/s')
        },
        onStep: ({done, loss, examplesPerSec}) => progress?.update(done, {loss: loss.toFixed(4), rate: examplesPerSec.toFixed(2)}),
        onEpochEnd: () => progress?.stop(),
      })
      const v = result.config.training?.validation as {frr: number; faPerHour: number; missed: number; triggers: number; falseAccepts: number} | null
      this.log(
        `Saved ${result.out} (epoch ${result.state.epoch}, threshold ${result.config.trigger.threshold}` +
          (v ? `, validation: missed ${v.missed}/${v.triggers}, ${v.falseAccepts} false accept${v.falseAccepts === 1 ? '' : 's'}` : '') +
          `; peak RSS ${Math.round(result.peakRssMiB)} MiB)`,
      )
      if (flags['calibrate-on']?.length && result.state.finished) {
        const calibrating = createProgress(1, 'calibrating on --calibrate-on audio')
        let c: SpeechCalibration
        try {
          c = await calibrateOnSpeech(result.out, flags['calibrate-on'], targetFaPerHour, (done, total) => calibrating.update(done, {total}))
        } finally {
          calibrating.stop()
        }
        this.log(
          `Calibrated on ${c.files} files (${c.minutes.toFixed(1)} min): ${targetFaPerHour} FA/h needs threshold ${c.speechThreshold}; ` +
            (c.threshold > c.previousThreshold ? `raised from ${c.previousThreshold} to ${c.threshold}` : `kept ${c.threshold}`) +
            ` (${c.faPerHour.toFixed(2)} FA/h on it)`,
        )
        return {...result, config: await readModelConfig(result.out)}
      }
      return result
    } finally {
      progress?.stop()
      process.off('SIGINT', onSigint)
    }
  }

  private async clipFolders(flags: {activates?: string[]; negatives?: string[]; backgrounds?: string[]; words?: string; trigger?: string; phrases?: string}): Promise<ClipFolders> {
    const backgrounds = flags.backgrounds ?? []
    if (flags.words === undefined) {
      if (!flags.negatives?.length) throw new UserError('--activates needs --negatives too', 'usage')
      const trigger = flags.trigger ?? COURSE_TRIGGER
      const phrases = flags.phrases === undefined ? undefined : parsePhrases(flags.phrases, ',', '--phrases')
      for (const phrase of phrases ?? []) for (const w of phrase) refuseTrigger(w, phrase, trigger)
      return {trigger, triggers: flags.activates ?? [], negatives: flags.negatives, backgrounds, ...(phrases ? {phrases} : {})}
    }
    let names: string[]
    try {
      names = (await listEntries(flags.words)).filter((e) => e.isDir).map((e) => e.name)
    } catch {
      throw new InputError(flags.words, 'no such folder (given as --words)')
    }
    const trigger = flags.trigger!
    if (!names.includes(trigger)) throw new InputError(flags.words, `no folder named "${trigger}" for --trigger (found: ${names.join(', ') || 'none'})`)
    const others = names.filter((n) => n !== trigger)
    if (others.length === 0) throw new InputError(flags.words, `needs at least one word folder besides the trigger "${trigger}"`)
    const phrases = flags.phrases === undefined ? undefined : parsePhrases(flags.phrases, ',', '--phrases')
    for (const phrase of phrases ?? []) {
      for (const w of phrase) {
        refuseTrigger(w, phrase, trigger)
        if (!others.includes(w)) throw new InputError(flags.words, `no folder named "${w}" for the phrase "${phrase.join(' ')}" (found: ${names.join(', ')})`)
      }
    }
    return {trigger, triggers: [join(flags.words, trigger)], negatives: others.map((n) => join(flags.words!, n)), backgrounds, wordFolders: true, ...(phrases ? {phrases} : {})}
  }
}

/** Phrases are what follows the trigger, so none may say it. */
function refuseTrigger(word: string, phrase: readonly string[], trigger: string): void {
  if (word === trigger) throw new UserError(`--phrases: "${phrase.join(' ')}" holds the trigger "${trigger}"; phrases are what follows it`, 'usage')
}

function vocabularyWords(list: string): string[] {
  const words = [...new Set(list.split(',').map((w) => w.trim()).filter((w) => w !== ''))]
  if (words.length === 0) throw new UserError('--ctc-vocabulary needs at least one word, e.g. --ctc-vocabulary "activate,lights,on,off"', 'usage')
  return words
}
