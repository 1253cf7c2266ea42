import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {removeStaleTemps, writeDirAtomic} from '../src/util/atomic.js'

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "console.log(process.pid)"], {encoding: "utf8"}).stdout.trim())
}

describe('atomic directories', () => {
  it("a dead process's half-built .tmp sibling is removed; a live one's is kept", async () => {
    const parent = mkdtempSync(join(tmpdir(), 'rnn-wake-atomic-'))
    const dead = `.data.${deadPid()}.abcd1234.tmp`
    const live = `.data.${process.ppid}.abcd1234.tmp`
    mkdirSync(join(parent, dead))
    mkdirSync(join(parent, live))
    await removeStaleTemps(join(parent, 'data'))
    expect(readdirSync(parent).sort()).toEqual([live])
  })

  it('a previous directory parked as .old by a process that died mid-swap is put back', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'rnn-wake-atomic-'))
    const parked = join(parent, `.data.${deadPid()}.abcd1234.old`)
    mkdirSync(parked)
    writeFileSync(join(parked, 'dataset.json'), '{}')
    await removeStaleTemps(join(parent, 'data'))
    expect(existsSync(join(parent, 'data', 'dataset.json'))).toBe(true)
  })

  it('writeDirAtomic replaces a directory only once the new one is complete', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'rnn-wake-atomic-'))
    const target = join(parent, 'out')
    await writeDirAtomic(target, async (dir) => writeFileSync(join(dir, 'a'), '1'))
    await expect(
      writeDirAtomic(target, async (dir) => {
        writeFileSync(join(dir, 'a'), '2')
        throw new Error('build failed')
      }),
    ).rejects.toThrow('build failed')
    expect(readdirSync(parent)).toEqual(['out'])
    expect(readdirSync(target)).toEqual(['a'])
  })
})
