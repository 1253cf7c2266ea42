import {Args, Flags} from '@oclif/core'

import {selectBackend} from '../src/model/backend.js'
import {type EnsembleResult, writeEnsemble} from '../src/model/ensemble.js'
import {isSpeechEmbedding} from '../src/features/front-end.js'
import {DEFAULT_CALIBRATION_BANK, DEFAULT_TARGET_FA, recalibrate} from '../src/train/embedding/recipe.js'
import {parseRearmRatio} from '../src/stream/command-support.js'
import {BaseCommand} from '../src/util/base-command.js'
import {UserError, exitCodesHelp} from '../src/util/errors.js'

export default class Ensemble extends BaseCommand {
  static override summary = 'Combine trained models into one that averages their outputs'

  static override description = `Networks trained alike but from different seeds (train --seed) make different mistakes: averaging their per-step probabilities (and the CTC head's posteriors) misses fewer triggers at the same false accepts per hour than any one of them. The shipped models/activate averages three speech-embedding networks (seeds 1-3): on the real-voice benchmark, three seeds averaged missed 49% of real triggers at <= 1 false accept per hour where one network missed 65% (TTS-only models, mean of five words; README, bench/RESULTS.md). An ensemble of speech-embedding networks gets its threshold set again on the shipped calibration bank of real speech. train already does this within one run (--networks, three by default), and there also chooses the token decoder for the average; an ensemble keeps its first model's decoder. The cost is one forward pass per network in detect and listen.

The output is an ordinary model directory that detect, listen and evaluate take with --model: the first model's network at the top level, the others in member-2, member-3, ... subfolders, listed in rnn-wake.json with each network's seed and origin. The models must detect the same word with the same front end, network shape and vocabulary, with one exception: a band-limited log front end (train --max-hz, or a model from models/encoder) may join a full-band one, and its networks read the lowest bins of the same spectrogram; the full-band model goes to the top level. Networks that hear different things combine best: the shipped models/activate is two full-band networks (they hear the synthesizer's voices) and two from the speech encoder (they hear real people). A model that is itself an ensemble adds all of its networks.

The threshold starts as the mean of the models' thresholds; averaged probabilities are spread differently, so calibrate it on the ensemble: rnn-wake evaluate --model OUT --data CALIBRATION-SET --target-fa 0.5 --write-threshold.

${exitCodesHelp(['usage', 'badModel', 'output'], {badModel: 'or the models do not match'})}`

  static override examples = [
    '<%= config.bin %> <%= command.id %> models/mine models/mine-2 --out models/mine-ensemble',
    '<%= config.bin %> <%= command.id %> bench/models/real/computer-tts bench/models/encoder/computer-tts --out models/computer-mixed --rearm-ratio 0.5',
  ]

  static override strict = false
  static override enableJsonFlag = true

  static override args = {
    model: Args.string({description: 'trained model directories (two or more)', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'model directory to write', required: true}),
    force: Flags.boolean({description: 'replace --out if it holds something (it may be one of the models)'}),
    'rearm-ratio': Flags.string({
      description:
        "after a detection, fire again only once the averaged probability has fallen to this fraction of the threshold, in (0, 1] (default: the first model's, else 1). Networks of two kinds can leave a word's mean wobbling around a low threshold: 0.5 keeps one word from firing twice (the shipped models/activate)",
    }),
  }

  async run(): Promise<EnsembleResult> {
    const {argv, flags} = await this.parse(Ensemble)
    const models = argv as string[]
    if (models.length < 2) throw new UserError(`Give two or more model directories to combine, got ${models.length}`, 'usage')
    const rearmRatio = flags['rearm-ratio'] === undefined ? undefined : parseRearmRatio(flags['rearm-ratio'])
    // Each model gets a trial prediction, as in detect.
    await selectBackend()
    const result = await writeEnsemble(flags.out, models, {force: flags.force, rearmRatio})
    if (isSpeechEmbedding(result.config.features)) {
      // The same calibration train makes: real speech none of the networks trained on.
      const calibration = await recalibrate(result.out, DEFAULT_CALIBRATION_BANK(), DEFAULT_TARGET_FA)
      result.config.trigger.threshold = calibration.threshold
      if (!this.jsonEnabled()) {
        this.log(`${result.out}: ensemble of ${result.networks} networks detecting "${result.config.word}", threshold ${calibration.threshold}: ${calibration.falseAccepts} false accept(s) in ${calibration.hours.toFixed(2)} h of real speech never trained on (one = ${calibration.resolution.toFixed(2)} FA/h)`)
      }
      return result
    }
    if (!this.jsonEnabled()) {
      this.log(`${result.out}: ensemble of ${result.networks} networks detecting "${result.config.word}", threshold ${result.config.trigger.threshold} (the mean of the models')`)
      this.log(`Calibrate it: rnn-wake evaluate --model ${result.out} --data CALIBRATION-SET --target-fa 0.5 --write-threshold`)
    }
    return result
  }
}
