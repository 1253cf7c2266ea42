#!/usr/bin/env node
// Look into one system's detections from the last run's saved score tracks:
//   node analyze.mjs SYSTEM PHRASE [THRESHOLD] [--quick]
//   node analyze.mjs openWakeWord alexa 0.5
// Lists every false accept with the word (from the synthesized set's manifest)
// or the real-speech file and time it fell on, and every miss with the peak
// score near it.
import {readFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {SAMPLE_RATE} from '../../dist/src/audio/read.js'
import {detectionTimes, matchEvents} from '../../dist/src/metrics/events.js'
import {ROOT} from './data.mjs'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const quick = process.argv.includes('--quick')
const [system, phrase, thresholdArg] = args
const out = join(ROOT, 'bench/out/openwakeword')
const tracks = JSON.parse(readFileSync(join(out, quick ? 'tracks-quick.json' : 'tracks.json'), 'utf8'))
const raw = readFileSync(join(out, quick ? 'tracks-quick.f32' : 'tracks.f32'))
const all = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)

let at = 0
let chosen
for (const t of tracks) {
  for (const it of t.items) {
    it.probabilities = all.subarray(at, at + it.steps)
    it.stepSec = t.stepSec
    at += it.steps
  }
  if (t.system.toLowerCase() === String(system).toLowerCase() && (t.phrase === phrase || t.phrase === String(phrase).replace(/\s+/g, '-'))) chosen = t
}
if (!chosen) {
  console.error(`No track for ${system} ${phrase}; have: ${tracks.map((t) => `${t.system} ${t.phrase}`).join(', ')}`)
  process.exit(2)
}
const trigger = {...chosen.trigger, threshold: thresholdArg === undefined ? chosen.trigger.threshold : Number(thresholdArg)}
const manifests = new Map()
/** What a negative clip says: dataset.json names its folder, whose TTS manifest has the text. */
const texts = new Map()
function textOf(setDir, source) {
  if (!texts.has(setDir)) {
    const info = JSON.parse(readFileSync(join(setDir, 'dataset.json'), 'utf8'))
    const byFile = new Map()
    for (const [role, folder] of Object.entries(info.inputs ?? {})) {
      try {
        for (const l of readFileSync(join(folder, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean)) {
          const c = JSON.parse(l)
          byFile.set(`${role}/${c.file}`, c.text)
        }
      } catch {}
    }
    texts.set(setDir, byFile)
  }
  return texts.get(setDir).get(source) ?? source
}
function wordAt(file, sec) {
  const dir = join(ROOT, dirname(file))
  if (!manifests.has(dir)) {
    try {
      manifests.set(dir, new Map(readFileSync(join(dir, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((e) => [e.file, e])))
    } catch {
      manifests.set(dir, null)
    }
  }
  const entry = manifests.get(dir)?.get(basename(file))
  if (!entry) return ''
  const spoken = (c) => (c.word === '<other>' ? `<${textOf(dir, c.source)}>` : c.word)
  const s = sec * SAMPLE_RATE
  const near = entry.clips.map((c) => ({c, d: s < c.start ? c.start - s : s > c.end ? s - c.end : 0})).sort((a, b) => a.d - b.d)[0]
  return near ? `"${spoken(near.c)}" ${near.d === 0 ? 'during' : `${(near.d / SAMPLE_RATE).toFixed(2)} s after/before`} (${(near.c.start / SAMPLE_RATE).toFixed(2)}-${(near.c.end / SAMPLE_RATE).toFixed(2)} s)` : 'no word'
}

let fa = 0
let missed = 0
const words = {}
for (const it of chosen.items) {
  const m = matchEvents(detectionTimes(it, trigger), it.truthsSec)
  for (const d of m.falseAcceptSec) {
    fa++
    const w = wordAt(it.name, d)
    const key = (w.match(/^"([^"]*)"/) ?? [, it.group])[1]
    words[key] = (words[key] ?? 0) + 1
    console.log(`FA   ${it.name} at ${d.toFixed(2)} s: ${w || it.group}`)
  }
  for (const t of m.missedSec) {
    missed++
    let peak = 0
    let peakAt = 0
    it.probabilities.forEach((p, k) => {
      const sec = (k + 1) * it.stepSec
      if (sec >= t - 0.5 && sec <= t + 2.5 && p > peak) [peak, peakAt] = [p, sec]
    })
    console.log(`MISS ${it.name} trigger ending ${t.toFixed(2)} s: peak ${peak.toFixed(4)} at +${(peakAt - t).toFixed(2)} s`)
  }
}
console.log(`\n${chosen.system} ${chosen.phrase} at threshold ${trigger.threshold}: ${fa} false accepts, ${missed} misses`)
console.log('false accepts by nearest word:', JSON.stringify(Object.entries(words).sort((a, b) => b[1] - a[1])))
