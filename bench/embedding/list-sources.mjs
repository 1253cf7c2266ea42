// The list of real non-trigger audio behind data/speech-bank, split into train (may be trained on)
// and test halves by each source's own rule, with licences and credits (sources/licences.json):
//   bash bench/embedding/asterisk.sh WORK      # the Debian Asterisk prompt packages, extracted, GSM -> WAV
//   node bench/embedding/list-sources.mjs WORK [SHARED]   # WORK/negatives.json, WORK/dropped-duplicates.json
// then embed-sources.mjs WORK/negatives.json CACHE and make-bank.mjs. SHARED: ../shared/data.
// Rules: speechocean762 by its speakers.tsv orig_split; ljspeech files 01-11 train; vctk p227, p233,
// p259, p260 test; noise and precise-words train; real/speech and real/commands as
// bench/real/prepare.mjs splits them (happy_* of commands/unknown as their own source); real/words
// by their train/ and test/ halves; realspeech (allison) test only; each Asterisk package by file,
// sorted paths, every 4th to test. Files under 0.3 s are skipped; train files byte-identical to a
// test file are dropped.
import {readFileSync, readdirSync, statSync, writeFileSync, openSync, readSync, closeSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const WORK = resolve(process.argv[2] ?? '/tmp/rnn-wake-sources')
const SHARED = resolve(process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), '../../../shared/data'))

const MIN = 0.3
function wavSeconds(path) {
  const b = readFileSync(path)
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not wav ' + path)
  let off = 12, byteRate = 0, data = 0
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4)
    if (id === 'fmt ') byteRate = b.readUInt32LE(off + 16)
    if (id === 'data') { data = Math.min(size, b.length - off - 8); break }
    off += 8 + size + (size & 1)
  }
  return data / byteRate
}
function opusSeconds(path) {
  const b = readFileSync(path)
  const head = b.indexOf('OpusHead')
  const preSkip = b.readUInt16LE(head + 10)
  let last = -1
  for (let i = b.length - 27; i >= 0; i--) if (b[i] === 0x4f && b.toString('ascii', i, i + 4) === 'OggS') { last = i; break }
  const granule = Number(b.readBigInt64LE(last + 6))
  return (granule - preSkip) / 48000
}
const seconds = (p) => (p.endsWith('.opus') ? opusSeconds(p) : wavSeconds(p))
function walk(dir) {
  const out = []
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...walk(p))
    else if (e.isFile() && /\.(wav|opus)$/.test(e.name)) out.push(p)
  }
  return out.sort()
}

const train = [], test = [], skipped = {}
const add = (half, source, path) => {
  const s = seconds(path)
  if (!(s >= MIN)) { skipped[source] = (skipped[source] ?? 0) + 1; return }
  ;(half === 'train' ? train : test).push({path, source, seconds: Math.round(s * 1000) / 1000})
}
const SN = join(SHARED, 'speech-noise')
// speechocean762: the corpus's own speaker split
const split = Object.fromEntries(readFileSync(join(SN, 'speechocean762/speakers.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => { const [id, , , s] = l.split('\t'); return [id, s.trim()] }))
for (const p of walk(join(SN, 'speechocean762'))) {
  const id = p.match(/so762_spk(\d+)/)[1]
  if (!['train', 'test'].includes(split[id])) throw new Error('no split ' + p)
  add(split[id], 'speechocean762', p)
}
for (const p of walk(join(SN, 'ljspeech'))) add(Number(p.match(/lj_spkLJ_(\d+)/)[1]) <= 11 ? 'train' : 'test', 'ljspeech', p)
const VCTK_TEST = ['p227', 'p233', 'p259', 'p260']
for (const p of walk(join(SN, 'vctk'))) add(VCTK_TEST.includes(p.match(/vctk_spk(p\d+)_/)[1]) ? 'test' : 'train', 'vctk', p)
for (const p of walk(join(SN, 'noise'))) add('train', p.includes('noise_jarbas') ? 'noise-precise-bg' : 'noise-freesound', p)
for (const p of walk(join(SN, 'precise-words'))) add('train', 'precise-words', p)

// shared/data/real: bench/real/prepare.mjs conventions
const R = join(SHARED, 'real')
const SPEECH_TEST = (name) => /^alphanumeric-0(0\d|10)\.wav$/.test(name) || /^voxlingua-en-00\d\.wav$/.test(name)
for (const name of readdirSync(join(R, 'speech')).filter((n) => n.endsWith('.wav')).sort())
  add(SPEECH_TEST(name) ? 'test' : 'train', name.startsWith('voxlingua') ? 'real-speech-voxlingua' : 'real-speech-alphanumeric', join(R, 'speech', name))
for (const command of readdirSync(join(R, 'commands')).sort()) {
  const names = readdirSync(join(R, 'commands', command)).filter((n) => n.endsWith('.wav')).sort()
  names.forEach((name, i) => add(i % 2 === 0 ? 'train' : 'test', command === 'unknown' && name.startsWith('happy_') ? 'real-commands-happy' : 'real-commands', join(R, 'commands', command, name)))
}
for (const word of readdirSync(join(R, 'words')).sort())
  for (const half of ['train', 'test'])
    for (const p of walk(join(R, 'words', word, half))) add(half, `real-words-${word}`, p)

// realspeech/asterisk-allison: measurement only (bench/real/run.sh, train-heldout.sh, openwakeword bench)
for (const p of walk(join(SHARED, 'realspeech/asterisk-allison'))) if (!p.includes('/silence/')) add('test', 'asterisk-allison', p)

// Debian asterisk packages: sorted relative paths, every 4th (index % 4 === 3) to test
const A = join(WORK, 'asterisk'), AW = join(WORK, 'asterisk-wav')
const PKGS = {
  'asterisk-core-sounds-es-wav': A, 'asterisk-core-sounds-fr-wav': A, 'asterisk-core-sounds-it-wav': A, 'asterisk-core-sounds-ru-wav': A,
  'asterisk-prompt-es-co': AW, 'asterisk-prompt-fr-armelle': AW, 'asterisk-prompt-it-menardi-wav': A,
}
for (const [pkg, root] of Object.entries(PKGS)) {
  const files = walk(join(root, pkg, 'usr/share/asterisk/sounds')).filter((p) => !p.includes('/silence/'))
  files.sort((a, b) => (relative(join(root, pkg), a) < relative(join(root, pkg), b) ? -1 : 1))
  files.forEach((p, i) => add(i % 4 === 3 ? 'test' : 'train', pkg, p))
}
// Drop train entries byte-identical to a test file (the sources contain a few duplicated recordings under other names)
import {createHash} from 'node:crypto'
const md5 = (p) => createHash('md5').update(readFileSync(p)).digest('hex')
const testHashes = new Map(test.map((e) => [md5(e.path), e.path]))
const dropped = []
for (let i = train.length - 1; i >= 0; i--) {
  const other = testHashes.get(md5(train[i].path))
  if (other) { dropped.push({path: train[i].path, source: train[i].source, identicalToTest: other}); train.splice(i, 1) }
}
writeFileSync(join(WORK, 'dropped-duplicates.json'), JSON.stringify(dropped, null, 1) + '\n')
const sum = (list, s) => Math.round(list.filter((e) => e.source === s).reduce((a, e) => a + e.seconds, 0) * 10) / 10
const meta = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'sources/licences.json'), 'utf8'))
const names = [...new Set([...train, ...test].map((e) => e.source))]
for (const n of names) if (!meta[n]) throw new Error('no meta for ' + n)
const sources = names.map((name) => ({name, ...meta[name], trainSeconds: sum(train, name), testSeconds: sum(test, name),
  trainFiles: train.filter((e) => e.source === name).length, testFiles: test.filter((e) => e.source === name).length, skippedUnder03s: skipped[name] ?? 0, droppedTrainDuplicatesOfTest: dropped.filter((d) => d.source === name).length}))
// no path in both halves
const tp = new Set(train.map((e) => e.path)); for (const e of test) if (tp.has(e.path)) throw new Error('both ' + e.path)
writeFileSync(join(WORK, 'negatives.json'), JSON.stringify({train, test, sources}, null, 1) + '\n')
for (const s of sources) console.log(s.name.padEnd(32), String(s.trainFiles).padStart(5), (s.trainSeconds / 3600).toFixed(3).padStart(7), String(s.testFiles).padStart(5), (s.testSeconds / 3600).toFixed(3).padStart(7), s.skippedUnder03s, s.licence)
const T = (l) => (l.reduce((a, e) => a + e.seconds, 0) / 3600).toFixed(2)
console.log('total train h', T(train), 'test h', T(test), 'files', train.length, test.length)
