// Writes the "activate-heldout" section of bench/RESULTS.md from what bench/train-heldout.sh left in WORK.
// usage: node bench/heldout-report.mjs WORK
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pointForTargetFA} from '../dist/src/metrics/events.js'
import {machine, writeSection} from './lib/results.mjs'

const work = process.argv[2]
const read = (f) => JSON.parse(readFileSync(join(work, f), 'utf8'))
const pct = (v) => `${(100 * v).toFixed(2)}%`
const natural = read('eval-natural.json')
const look = read('eval-lookalike.json')
const a = natural.atThreshold
const lookWords = read('lookalike-set/dataset.json').stats?.negatives ?? null
const shipped = natural.model === 'models/activate'
const goal = a.frr <= 0.05 && a.faPerHour <= 0.5
const lines = [
  '## models/activate, event-level, held-out (issue 7)',
  '',
  `Command: \`npm run build && bash bench/train-heldout.sh ${natural.model}\` (voices: bench/heldout-voices.txt, none used in training).`,
  `Machine: ${machine()}.`,
  '',
  '| audio | amount |',
  '| --- | --- |',
  `| "natural" test examples: triggers among 0-4 common words, held-out voices, unseen backgrounds | ${natural.data.examples} (${(natural.data.seconds / 60).toFixed(1)} min) with ${natural.data.triggers} triggers |`,
  `| real speech (../shared/data/realspeech, no trigger) | ${natural.negatives.files} files, ${(natural.negatives.seconds / 60).toFixed(1)} min |`,
  `| non-trigger time counted for FA/h | ${(a.nonTriggerHours * 60).toFixed(1)} min |`,
  '',
  '| threshold | FRR | false accepts | FA/h | median latency |',
  '| --- | --- | --- | --- | --- |',
  `| ${natural.trigger.threshold} (shipped, ${natural.trigger.minSteps} step${natural.trigger.minSteps > 1 ? "s" : ""}) | ${pct(a.frr)} (${a.missed}/${a.triggers}) | ${a.falseAccepts} | ${a.faPerHour.toFixed(2)} | ${Math.round(a.latency.medianMs)} ms |`,
  ...(natural.target.point ? [`| ${natural.target.point.threshold} (lowest FRR at <= ${natural.target.faPerHour} FA/h on this set) | ${pct(natural.target.point.frr)} | ${natural.target.point.falseAccepts} | ${natural.target.point.faPerHour.toFixed(2)} | |`] : []),
  '',
  `DET curve read at several false-accept rates (lowest FRR whose FA/h stays within; threshold): ${[0.5, 1, 2, 5, 10, 20]
    .map((x) => {
      const best = pointForTargetFA(natural.det, x)
      return best ? `<= ${x} FA/h: ${pct(best.frr)} (${best.threshold})` : `<= ${x} FA/h: none`
    })
    .join('; ')}.`,
  '',
  `Per-step accuracy (the course's metric) on the test examples: ${natural.perStepAccuracy === null ? 'n/a' : `${pct(natural.perStepAccuracy.model)}, against ${pct(natural.perStepAccuracy.allZeros)} for predicting all zeros`}.`,
  '',
  `Goal (FRR <= 5% at <= 0.5 FA/h, at the shipped threshold): **${goal ? 'met' : 'not met'}**.`,
  '',
  `Look-alike words, reported apart (100 examples where the other words are made to sound like the trigger: ${Object.keys(look.falseAcceptsOn.likeTriggerWords).length ? 'activity, deactivate, captivate, ...' : 'activity, deactivate, captivate, ...'}), at the shipped threshold: ` +
    `FRR ${pct(look.atModelThreshold.frr)} (${look.atModelThreshold.missed}/${look.atModelThreshold.triggers}), ${look.atModelThreshold.falseAccepts} false accepts` +
    `${lookWords ? ` on ${lookWords} look-alike words` : ''} (on look-alikes ${look.falseAcceptsOn.likeTrigger}, other ${look.falseAcceptsOn.otherWord}, background ${look.falseAcceptsOn.background}); ` +
    `words that fired: ${Object.entries(look.falseAcceptsOn.likeTriggerWords).sort((x, y) => y[1] - x[1]).map(([w, n]) => `${w} ${n}`).join(', ') || 'none'}.`,
  '',
  `DET curve (natural set + real speech): ${shipped ? 'docs/det-activate.png' : join(work, 'det.png')}.`,
]
// Only the shipped model's figures belong in RESULTS.md; any other model's run is printed, so
// measuring a candidate does not overwrite the shipped model's section.
if (shipped) writeSection('activate-heldout', lines.join('\n'))
console.log(lines.join('\n'))
