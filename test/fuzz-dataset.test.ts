import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {bounded} from '../bench/fuzz-common.mjs'
import {datasetTarget} from '../bench/fuzz-dataset.mjs'
import {writeWav16} from '../src/audio/write.js'
import {COURSE_PARAMS, exampleSamples, loadSources, readDataset, synthesizeDataset} from '../src/dataset/index.js'
import {InputError, UserError} from '../src/util/errors.js'

/**
 * Hostile synthesized datasets (issue 8): a real 4-example dataset made by the
 * synthesis library, then its dataset.json, manifest.jsonl and labels.npy
 * edited. Generators in bench/fuzz-dataset.mjs, shared with bench/fuzz.mjs.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)

let target: ReturnType<typeof datasetTarget>

beforeAll(async () => {
  const lib = {writeWav16, loadSources, synthesizeDataset, exampleSamples, COURSE_PARAMS, readDataset, InputError, UserError}
  target = datasetTarget(lib, {root: await mkdtemp(join(tmpdir(), 'rnn-wake-fuzz-dataset-'))})
  await target.setup()
})

afterAll(async () => {
  await target?.teardown()
})

describe('dataset reader under hostile input', () => {
  it(`reads a consistent dataset or rejects with one line naming the file, in bounded time and memory (${RUNS} edited datasets)`, async () => {
    await fc.assert(
      fc.asyncProperty(target.arbitrary, async (c) => {
        await target.check(c)
      }),
      {numRuns: RUNS, seed: SEED},
    )
  }, 60_000 + RUNS * 20)

  /** Run a case with a tighter memory budget than the property's, returning the message without its file prefix. */
  async function rejected(c: object): Promise<string> {
    const outcome = await bounded(() => target.check(c), {ms: 2000, rssMB: 40, what: 'oversized claim'})
    expect(outcome).not.toBe('accepted')
    return outcome.replace(/^Cannot read \S+\/case\//, '')
  }

  it('a labels.npy header claiming a billion rows is refused as truncated, not allocated', async () => {
    const message = await rejected({kind: 'mutated', labels: {kind: 'shape', shape: '(1000000000, 1375)'}})
    expect(message).toBe('labels.npy: truncated data (expected 1375000000000 bytes, found 5500)')
  })

  it('a version-2 npy header whose length field claims 2 GB is refused as truncated', async () => {
    const message = await rejected({kind: 'mutated', labels: {kind: 'headerLength', length: 0, extended: true}})
    expect(message).toBe('labels.npy: truncated header')
  })

  it('a negative size in the npy shape is a bad shape, not a RangeError', async () => {
    const message = await rejected({kind: 'mutated', labels: {kind: 'shape', shape: '(-1, 1375)'}})
    expect(message).toMatch(/^labels\.npy: bad shape \(-1, 1375\)$/)
  })

  it('a manifest value holding a newline is quoted, keeping the message on one line', async () => {
    const edit = {focus: '^file$', at: 0, from: 0, op: 'replace', value: 'a\nb.wav', pick: 0}
    const message = await rejected({kind: 'mutated', manifest: {kind: 'entry', line: 1, edits: [edit]}})
    expect(message).toBe('manifest.jsonl: line 2: file must be a .wav file name without folders, not "a\\nb.wav"')
  })
})
