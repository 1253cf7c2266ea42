// Fuzz target: the synthesized-dataset reader (readDataset: dataset.json,
// manifest.jsonl line by line, labels.npy, and their agreement). Every case
// starts from a real dataset made by the synthesis library on tiny generated
// clips, then edits its files: JSON edits of dataset.json and of single manifest
// lines aimed at the fields the reader cross-checks, line-level damage (lost,
// repeated, swapped, cut lines), npy header edits (shape, dtype, order, version,
// header length) and byte damage, label values other than 0/1, missing files.
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import fc from 'fast-check'

import {FuzzFailure, applyByteEdit, applyJsonEdit, applyTextEdit, bounded, byteEditArb, checkRejection, jsonEditArb, maybe, textEditArb} from './fuzz-common.mjs'

const FILES = ['dataset.json', 'manifest.jsonl', 'labels.npy']

const DATASET_FOCUS = ['^count$', '^geometry', '^labels', '^(format|version|seed)$']
const ENTRY_FOCUS = ['^clips', '^clips\\.\\d+\\.(start|end|endMs|speed|trigger|word)$', '^labelRuns', '^transcript', '^(index|file)$', '^background', '^(gainDb|dbfs)$']

const NPY_SHAPES = ['(-1, 1375)', '(3,)', '()', '(1000000000, 1375)', '(99999999999999999999, 1375)', '(3, 1375, 1)', '(0, 1375)', '(3, -1375)', '(1.5, 1375)', '(abc, 1375)', '(3 1375)', '(1375, 3)', '(3, 1374)', '(-3, -1375)', '(4, 1375)']
const NPY_DESCRS = ['<f4', '<i4', '<f8', '>u1', '|b1', '|u2', '<u8', '|i1', '<c8', '']

const labelsEditArb = fc.oneof(
  fc.record({kind: fc.constant('shape'), shape: fc.constantFrom(...NPY_SHAPES)}),
  fc.record({kind: fc.constant('descr'), descr: fc.constantFrom(...NPY_DESCRS)}),
  fc.record({kind: fc.constant('fortran')}),
  fc.record({kind: fc.constant('version'), major: fc.constantFrom(0, 2, 3, 255)}),
  fc.record({kind: fc.constant('headerLength'), length: fc.constantFrom(0, 1, 10, 0x7fff, 0xffff), extended: fc.boolean()}),
  fc.record({kind: fc.constant('value'), index: fc.nat(), value: fc.constantFrom(2, 7, 255)}),
  fc.record({kind: fc.constant('bytes'), edits: fc.array(byteEditArb, {minLength: 1, maxLength: 3})}),
)

const manifestEditArb = fc.oneof(
  {weight: 3, arbitrary: fc.record({kind: fc.constant('entry'), line: fc.nat(), edits: fc.array(jsonEditArb(ENTRY_FOCUS), {minLength: 1, maxLength: 3})})},
  {weight: 2, arbitrary: fc.record({kind: fc.constant('lines'), op: fc.constantFrom('drop', 'duplicate', 'swap', 'blank', 'cut', 'reverse', 'join'), line: fc.nat(), other: fc.nat(), at: fc.nat()})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('text'), edits: fc.array(textEditArb, {minLength: 1, maxLength: 2})})},
)

const datasetEditArb = fc.oneof(
  {weight: 4, arbitrary: fc.record({kind: fc.constant('json'), edits: fc.array(jsonEditArb(DATASET_FOCUS), {minLength: 1, maxLength: 3})})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant('text'), edits: fc.array(textEditArb, {minLength: 1, maxLength: 2})})},
)

export const datasetCaseArb = fc.oneof(
  {weight: 1, arbitrary: fc.record({kind: fc.constant('valid')})},
  {
    weight: 12,
    arbitrary: fc.record(
      {
        kind: fc.constant('mutated'),
        // Mostly one file at a time, so that edits of manifest and labels get past a valid dataset.json.
        dataset: maybe(datasetEditArb, 30),
        manifest: maybe(manifestEditArb, 45),
        labels: maybe(labelsEditArb, 45),
        files: maybe(fc.record({file: fc.constantFrom(...FILES, '.'), how: fc.constantFrom('missing', 'directory', 'empty')}), 8),
      },
      {requiredKeys: ['kind']},
    ),
  },
)

function editManifest(text, e) {
  if (e.kind === 'text') return e.edits.reduce(applyTextEdit, text)
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const i = e.line % lines.length
  const j = (e.other ?? 0) % lines.length
  if (e.kind === 'entry') lines[i] = JSON.stringify(e.edits.reduce(applyJsonEdit, JSON.parse(lines[i])))
  else if (e.op === 'drop') lines.splice(i, 1)
  else if (e.op === 'duplicate') lines.splice(i, 0, lines[i])
  else if (e.op === 'swap') [lines[i], lines[j]] = [lines[j], lines[i]]
  else if (e.op === 'blank') lines.splice(i, 0, '')
  else if (e.op === 'cut') lines[i] = lines[i].slice(0, e.at % (lines[i].length + 1))
  else if (e.op === 'reverse') lines.reverse()
  else if (e.op === 'join') lines.splice(i, 2, lines.slice(i, i + 2).join(''))
  return lines.join('\n') + '\n'
}

/** The npy header as text, and the bytes around it (v1: 10-byte preamble with a 2-byte length). */
function npyParts(bytes) {
  const length = bytes[8] | (bytes[9] << 8)
  return {header: new TextDecoder().decode(bytes.subarray(10, 10 + length)), data: bytes.subarray(10 + length)}
}

function npyJoin(header, data) {
  const text = new TextEncoder().encode(header)
  const out = new Uint8Array(10 + text.length + data.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8])
  out.set(text, 10)
  out.set(data, 10 + text.length)
  return out
}

function editLabels(bytes, e) {
  const {header, data} = npyParts(bytes)
  switch (e.kind) {
    case 'shape':
      return npyJoin(header.replace(/'shape': \([^)]*\)/, `'shape': ${e.shape}`), data)
    case 'descr':
      return npyJoin(header.replace(/'descr': '[^']*'/, `'descr': '${e.descr}'`), data)
    case 'fortran':
      return npyJoin(header.replace('False', 'True'), data)
    case 'version': {
      const out = new Uint8Array(bytes)
      out[6] = e.major
      return out
    }
    case 'headerLength': {
      const out = new Uint8Array(bytes)
      out[8] = e.length & 0xff
      out[9] = e.length >> 8
      // A version 2 header reads its length from four bytes, claiming up to 4 GB.
      if (e.extended) out.set([2, 0, 0xff, 0xff, 0xff, 0x7f], 6)
      return out
    }
    case 'value': {
      const out = new Uint8Array(bytes)
      out[10 + header.length + (e.index % data.length)] = e.value
      return out
    }
    case 'bytes':
      return e.edits.reduce(applyByteEdit, bytes)
    default:
      throw new Error(`unknown labels edit ${e.kind}`)
  }
}

export function datasetCaseFiles(base, c) {
  let {dataset, manifest, labels} = base
  if (c.kind === 'valid') return {dataset, manifest, labels}
  if (c.dataset) dataset = c.dataset.kind === 'text' ? c.dataset.edits.reduce(applyTextEdit, dataset) : JSON.stringify(c.dataset.edits.reduce(applyJsonEdit, JSON.parse(dataset)))
  if (c.manifest) manifest = editManifest(manifest, c.manifest)
  if (c.labels) labels = editLabels(labels, c.labels)
  return {dataset, manifest, labels}
}

/** Deterministic tone bursts and noise, enough for the synthesizer to place clips into backgrounds. */
function sound(seconds, seed, tone) {
  const rate = 44_100
  const x = new Float64Array(Math.round(seconds * rate))
  let s = seed
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0
    x[i] = tone ? 9000 * Math.sin((2 * Math.PI * tone * i) / rate) * Math.sin((Math.PI * i) / x.length) ** 2 : (s / 2 ** 32 - 0.5) * 4000
  }
  return x
}

/**
 * The target. `lib`: {writeWav16, loadSources, synthesizeDataset, exampleSamples,
 * COURSE_PARAMS, readDataset, InputError, UserError}. `root` is a scratch folder
 * of its own.
 */
export function datasetTarget(lib, {root, ms = 5000, rssMB = 200, count = 4} = {}) {
  const dir = join(root, 'case')
  let base
  return {
    name: 'synthesized dataset (readDataset)',
    arbitrary: datasetCaseArb,
    async setup() {
      const src = join(root, 'src')
      await lib.writeWav16(join(src, 'activates', 'a.wav'), sound(0.5, 1, 880))
      await lib.writeWav16(join(src, 'activates', 'b.wav'), sound(0.4, 2, 1200))
      await lib.writeWav16(join(src, 'negatives', 'n.wav'), sound(0.6, 3, 300))
      await lib.writeWav16(join(src, 'backgrounds', 'bg.wav'), sound(10.5, 4, 0))
      const layout = {kind: 'course', activates: join(src, 'activates'), negatives: join(src, 'negatives'), backgrounds: join(src, 'backgrounds')}
      const loaded = await lib.loadSources(layout, lib.exampleSamples(lib.COURSE_PARAMS))
      const out = join(root, 'base')
      await lib.synthesizeDataset(loaded, {out, count, seed: 7, workers: 1})
      const [dataset, manifest, labels] = await Promise.all(FILES.map((f) => readFile(join(out, f))))
      base = {dataset: dataset.toString('utf8'), manifest: manifest.toString('utf8'), labels: new Uint8Array(labels)}
      // The examples' WAVs are not read by readDataset; the case folders do without them.
      await rm(out, {recursive: true, force: true})
    },
    async teardown() {
      await rm(root, {recursive: true, force: true})
    },
    /** Resolves to 'accepted' or the rejection's message; throws FuzzFailure when the property breaks. */
    async check(c) {
      const files = datasetCaseFiles(base, c)
      await rm(dir, {recursive: true, force: true})
      await mkdir(dir, {recursive: true})
      await Promise.all([writeFile(join(dir, FILES[0]), files.dataset), writeFile(join(dir, FILES[1]), files.manifest), writeFile(join(dir, FILES[2]), files.labels)])
      if (c.files) {
        if (c.files.file === '.') {
          await rm(dir, {recursive: true, force: true})
          if (c.files.how === 'empty') await mkdir(dir)
          else if (c.files.how === 'directory') await writeFile(dir, 'a file where the dataset folder should be')
        } else {
          const path = join(dir, c.files.file)
          await rm(path)
          if (c.files.how === 'directory') await mkdir(path)
          else if (c.files.how === 'empty') await writeFile(path, '')
        }
      }
      return bounded(
        async () => {
          let dataset
          try {
            dataset = await lib.readDataset(dir)
          } catch (error) {
            const prefix = new RegExp(`^Cannot read ${escape(dir)}/(${FILES.map(escape).join('|')}): `)
            const message = checkRejection(error, {UserError: lib.UserError, kind: lib.InputError, prefix})
            if (c.kind === 'valid') throw new FuzzFailure(`a valid dataset was rejected: ${message}`)
            return message
          }
          checkDataset(dataset)
          return 'accepted'
        },
        {ms, rssMB, what: 'readDataset'},
      )
    },
  }
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** What a trainer relies on from an accepted dataset: counts that agree and labels that are 0 or 1. */
function checkDataset({info, entries, labels}) {
  const {ty} = info.geometry
  if (entries.length !== info.count) throw new FuzzFailure(`accepted ${entries.length} entries for count ${info.count}`)
  if (labels.length !== info.count * ty) throw new FuzzFailure(`accepted ${labels.length} labels for ${info.count} x ${ty}`)
  if (labels.some((v) => v > 1)) throw new FuzzFailure('accepted labels other than 0 and 1')
  entries.forEach((e, i) => {
    if (e.index !== i) throw new FuzzFailure(`accepted entry ${i} with index ${e.index}`)
  })
}
