// Hard-negative mining: where a trained detector fires on real speech that never says its word, cut
// the moment out as a negative clip for a further round of training (whose --hard-negative-weight
// then weighs the steps after it like those after any other word).
//   node bench/real/mine.mjs MODEL OUT [--threshold 0.1] [--before 1.2] [--after 0.4] AUDIO...
// AUDIO: files or folders of long non-trigger speech the model may train on (never a test file).
// Each detection (rnn-wake detect at --threshold) gives one clip from --before seconds ahead of the
// firing step to --after seconds past it, at 44.1 kHz. Prints how many it cut.
import {execFileSync} from 'node:child_process'
import {mkdir, readdir, stat} from 'node:fs/promises'
import {basename, join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {readAudio, writeWav16} from '../../dist/src/audio/index.js'

const {values, positionals} = parseArgs({
  allowPositionals: true,
  options: {threshold: {type: 'string', default: '0.1'}, before: {type: 'string', default: '1.2'}, after: {type: 'string', default: '0.4'}},
})
const [model, out, ...inputs] = positionals
if (!model || !out || inputs.length === 0) {
  console.error('usage: node bench/real/mine.mjs MODEL OUT [--threshold T] [--before S] [--after S] AUDIO...')
  process.exit(2)
}
const files = []
for (const input of inputs) {
  if ((await stat(input)).isDirectory()) {
    for (const name of (await readdir(input)).sort()) if (name.endsWith('.wav')) files.push(join(input, name))
  } else files.push(input)
}
const bin = new URL('../../bin/run.js', import.meta.url).pathname
const report = JSON.parse(
  execFileSync('node', [bin, 'detect', '--json', '--threshold', values.threshold, '--model', resolve(model), ...files], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  }),
)
await mkdir(out, {recursive: true})
let cut = 0
for (const file of report.files) {
  if (file.detections.length === 0) continue
  const {samples} = await readAudio(file.file)
  const sampleRate = 44_100
  for (const detection of file.detections) {
    const from = Math.max(0, Math.round((detection.seconds - Number(values.before)) * sampleRate))
    const to = Math.min(samples.length, Math.round((detection.seconds + Number(values.after)) * sampleRate))
    const name = `${basename(file.file, '.wav')}-${detection.seconds.toFixed(2)}-${detection.score.toFixed(2)}.wav`
    await writeWav16(join(out, name), samples.subarray(from, to))
    cut++
  }
}
console.log(`bench/real/mine: ${cut} clips from ${report.files.length} files at threshold ${values.threshold} -> ${out}`)
