// Turning score tracks into the comparison: both systems go through the same
// trigger post-processing (dist/src/stream/trigger.js, via detectionTimes) and
// the same event matching and DET code (dist/src/metrics/events.js).
import {DEFAULT_MATCH_WINDOW, defaultThresholds, detCurve, detectionTimes, evaluateAt, matchEvents, nonTriggerSeconds, percentile, pointForTargetFA} from '../../dist/src/metrics/events.js'

/** One grid for every system: the evaluate command's, plus finer steps near 1 where openWakeWord's scores crowd. */
export function thresholdGrid() {
  const extra = [0.001, 0.002, 0.005, 0.92, 0.94, 0.96, 0.98, 0.985, 0.9995, 0.9998, 0.9999, 0.99995, 0.99999]
  return [...new Set([...defaultThresholds(), ...extra])].sort((a, b) => a - b)
}

function lean(p) {
  if (!p) return null
  const {latenciesSec, ...rest} = p
  const ms = latenciesSec.map((s) => s * 1000)
  return {...rest, latencyMedianMs: percentile(ms, 0.5), latencyP90Ms: percentile(ms, 0.9)}
}

/**
 * Score one system on one phrase. `items` are ScoredAudio; `trigger` the
 * post-processing (threshold replaced along the grid); `defaultThreshold`
 * the system's own out-of-the-box threshold.
 */
export function scoreSystem(items, trigger, defaultThreshold, targetFa) {
  const grid = thresholdGrid()
  const curve = detCurve(items, trigger, grid)
  return {
    trigger,
    curve: curve.map(lean),
    atTarget: lean(pointForTargetFA(curve, targetFa)),
    atZero: lean(pointForTargetFA(curve, 0)),
    atDefault: lean(evaluateAt(items, {...trigger, threshold: defaultThreshold})),
    defaultThreshold,
    levels: FA_LEVELS.map((fa) => ({fa, point: lean(pointForTargetFA(curve, fa))})),
  }
}

/** FA/h levels the DET curves are read at for the summary table. */
export const FA_LEVELS = [0.5, 1, 2, 5, 10, 20]

/**
 * Where a system's detections go wrong at one threshold, per group of files
 * (items carry a `group`): false accepts and non-trigger hours, misses, and
 * how many misses had a detection just after the match window (late, not absent).
 */
export function breakdown(items, trigger, window = DEFAULT_MATCH_WINDOW) {
  const groups = {}
  for (const it of items) {
    const g = (groups[it.group] ??= {falseAccepts: 0, nonTriggerHours: 0, triggers: 0, missed: 0, lateMisses: 0, edgeMisses: 0})
    const detections = detectionTimes(it, trigger)
    const m = matchEvents(detections, it.truthsSec, window)
    g.falseAccepts += m.falseAcceptSec.length
    g.nonTriggerHours += nonTriggerSeconds(it, window) / 3600
    g.triggers += it.truthsSec.length
    g.missed += m.missedSec.length
    for (const t of m.missedSec) {
      if (m.falseAcceptSec.some((d) => d > t + window.lateSec && d <= t + 2.5)) g.lateMisses++
      if (t > it.durationSec - 0.5) g.edgeMisses++
    }
  }
  return groups
}

/** The lowest FRR a system reaches at no more false accepts per hour than `fa` (its DET curve read at another system's FA/h). */
export function frrAtFa(score, fa) {
  let best = null
  for (const p of score.curve) if (p.faPerHour <= fa + 1e-9 && (!best || p.frr < best.frr)) best = p
  return best
}

export function detCsv(score) {
  const rows = ['threshold,frr,fa_per_hour,missed,triggers,false_accepts,non_trigger_hours']
  for (const p of score.curve) rows.push([p.threshold, p.frr, p.faPerHour, p.missed, p.triggers, p.falseAccepts, p.nonTriggerHours].map((v) => Number(v.toPrecision(6))).join(','))
  return rows.join('\n') + '\n'
}
