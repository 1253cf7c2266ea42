// Shared pieces of the hostile-input fuzzers (bench/fuzz-wav.mjs, fuzz-model.mjs,
// fuzz-dataset.mjs): the property every reader must keep, and mutators that turn
// valid files into plausible broken ones. Plain JS so that test/fuzz-*.test.ts can
// run the targets against src/ (a few hundred cases) and bench/fuzz.mjs against
// dist/ (10,000+), with the same generators.
import fc from 'fast-check'

/** The reader broke its promise: the test fails with this, the bench counts it. */
export class FuzzFailure extends Error {
  constructor(message) {
    super(message)
    this.name = 'FuzzFailure'
  }
}

/**
 * What a user may see when a file is bad: one of the project's UserErrors
 * (never a TypeError or RangeError from deep inside), one line, not a wall of
 * text, starting with the words that name the file.
 * @param {unknown} error
 * @param {{UserError: Function, kind: Function, prefix: string | RegExp}} expect
 */
export function checkRejection(error, {UserError, kind, prefix}) {
  if (!(error instanceof UserError) || !(error instanceof kind)) {
    const name = error instanceof Error ? error.constructor.name : typeof error
    const detail = error instanceof Error ? `${error.message}\n${error.stack?.split('\n').slice(1, 4).join('\n')}` : String(error)
    throw new FuzzFailure(`uncaught ${name} instead of a ${kind.name}: ${detail}`)
  }
  const message = error.message
  if (/[\n\r]/.test(message)) throw new FuzzFailure(`message is not one line: ${JSON.stringify(message)}`)
  if (message.length > 400) throw new FuzzFailure(`message is ${message.length} characters: ${message.slice(0, 200)}...`)
  const named = typeof prefix === 'string' ? message.startsWith(prefix) : prefix.test(message)
  if (!named) throw new FuzzFailure(`message does not name the file (${prefix}): ${JSON.stringify(message)}`)
  return message
}

/** A message reduced to its kind, for the bench's tally: file names and numbers dropped. */
export function messageKind(message) {
  return message
    .replace(/^Cannot (read|load model) \S+: /, '')
    .replace(/^speech-embedding front end \(\S+\): /, 'front end: ')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/-?\d[\d.e+-]*/g, 'N')
    .slice(0, 70)
}

/**
 * Bound a case in time. An async hang (a promise that never settles) fails here;
 * a synchronous endless loop cannot be interrupted from its own thread, which is
 * why bench/fuzz.mjs runs each target in a worker with a watchdog.
 */
export async function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new FuzzFailure(`no answer after ${ms} ms (${what})`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Run one case and hold it to the time and memory budget. Peak RSS is the
 * process high-water mark, so a case that allocates (and touches) what a
 * header claims shows up even when the memory is freed before we look.
 */
export async function bounded(run, {ms, rssMB, what}) {
  const peakBefore = process.resourceUsage().maxRSS
  const started = performance.now()
  const outcome = await withTimeout(Promise.resolve().then(run), ms, what)
  const elapsed = performance.now() - started
  if (elapsed > ms) throw new FuzzFailure(`took ${elapsed.toFixed(0)} ms (budget ${ms} ms)`)
  const grownMB = (process.resourceUsage().maxRSS - peakBefore) / 1024
  if (grownMB > rssMB) throw new FuzzFailure(`peak RSS grew by ${grownMB.toFixed(0)} MB (budget ${rssMB} MB)`)
  return outcome
}

export const INTERESTING_U32 = [0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 18, 39, 40, 41, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
export const INTERESTING_U16 = [0, 1, 2, 3, 4, 6, 7, 8, 12, 16, 17, 24, 32, 33, 40, 48, 64, 0x7fff, 0x8000, 0xfffe, 0xffff]
export const INTERESTING_NUMBERS = [0, -0, 1, -1, 2, 3, 0.5, 1.5, -1.5, 7, 101, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 1e9, 1e12, 1e21, 1e308, -1e308, Number.MIN_VALUE, Number.EPSILON]
export const INTERESTING_STRINGS = ['', ' ', '0', '1', 'x', 'NaN', 'null', '../x', '/dev/zero', '..', '.', 'a/b', 'a\\b', '\n', 'é', '\u0000', 'x'.repeat(5000)]
export const INTERESTING_JSON = [...INTERESTING_NUMBERS, ...INTERESTING_STRINGS, null, true, false, [], {}, [0], [[]], [null], {a: 1}]

/** `arb` in `percent` % of cases, undefined otherwise (fc.option's `freq` counts the other way round). */
export const maybe = (arb, percent) => fc.oneof({weight: 100 - percent, arbitrary: fc.constant(undefined)}, {weight: percent, arbitrary: arb})

/** Every path to a value of a JSON tree, the root ([]) included. */
export function jsonPaths(value, prefix = [], out = []) {
  out.push(prefix)
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...prefix, i], out))
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) jsonPaths(value[k], [...prefix, k], out)
  return out
}

function getAt(tree, path) {
  return path.reduce((node, key) => node[key], tree)
}

/** Put `value` at `path` (undefined deletes); returns the new root. */
function setAt(tree, path, value) {
  if (path.length === 0) return value === undefined ? null : value
  const parent = getAt(tree, path.slice(0, -1))
  const key = path.at(-1)
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(key, 1)
    else delete parent[key]
  } else parent[key] = value
  return tree
}

/**
 * One edit of a JSON tree. `focus` (a regular expression over the dotted path)
 * aims it at the fields a reader is most likely to trust; `from` picks a second
 * path whose value is transplanted (a layer name into an inbound node makes a
 * cycle, one shape into another a mismatch).
 */
export const jsonEditArb = (focus = []) =>
  fc.record({
    focus: focus.length > 0 ? fc.option(fc.constantFrom(...focus), {freq: 3, nil: undefined}) : fc.constant(undefined),
    at: fc.nat(),
    from: fc.nat(),
    op: fc.constantFrom('replace', 'replace', 'interesting', 'interesting', 'delete', 'transplant', 'transplant', 'nudge', 'duplicate', 'wrap', 'retype'),
    value: fc.jsonValue({maxDepth: 2}),
    pick: fc.nat(),
  })

export function applyJsonEdit(tree, edit) {
  const all = jsonPaths(tree)
  const focused = edit.focus === undefined ? all : all.filter((p) => new RegExp(edit.focus).test(p.join('.')))
  const candidates = focused.length > 0 ? focused : all
  const path = candidates[edit.at % candidates.length]
  const current = getAt(tree, path)
  switch (edit.op) {
    case 'replace':
      return setAt(tree, path, structuredClone(edit.value))
    case 'interesting':
      return setAt(tree, path, structuredClone(INTERESTING_JSON[edit.pick % INTERESTING_JSON.length]))
    case 'delete':
      return setAt(tree, path, undefined)
    case 'transplant': {
      const donor = all[edit.from % all.length]
      if (path.join('.').startsWith(donor.join('.'))) return tree
      return setAt(tree, path, structuredClone(getAt(tree, donor)))
    }
    case 'nudge': {
      if (typeof current !== 'number') return setAt(tree, path, INTERESTING_NUMBERS[edit.pick % INTERESTING_NUMBERS.length])
      const nudges = [current + 1, current - 1, -current, current * 1000, current + 0.5, current * 2 ** 20, 0]
      return setAt(tree, path, nudges[edit.pick % nudges.length])
    }
    case 'duplicate': {
      if (path.length === 0) return tree
      const parent = getAt(tree, path.slice(0, -1))
      if (Array.isArray(parent)) parent.splice(path.at(-1), 0, structuredClone(current))
      return tree
    }
    case 'wrap':
      return setAt(tree, path, edit.pick % 2 === 0 ? [structuredClone(current)] : {value: structuredClone(current)})
    case 'retype':
      return setAt(tree, path, typeof current === 'string' ? Number(current) : JSON.stringify(current) ?? 'undefined')
    default:
      throw new Error(`unknown edit ${edit.op}`)
  }
}

/** Edits of a file's text: what a cut-short copy, a bad editor or a wrong file does. */
export const textEditArb = fc.record({
  op: fc.constantFrom('truncate', 'insert', 'delete', 'bom', 'crlf', 'nul', 'garbage', 'deep', 'empty', 'huge-number'),
  at: fc.nat(),
  text: fc.string({maxLength: 8}),
})

export function applyTextEdit(text, edit) {
  const at = text.length === 0 ? 0 : edit.at % (text.length + 1)
  switch (edit.op) {
    case 'truncate':
      return text.slice(0, at)
    case 'insert':
      return text.slice(0, at) + edit.text + text.slice(at)
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1 + (edit.at % 7))
    case 'bom':
      return '\uFEFF' + text
    case 'crlf':
      return text.replace(/\n/g, '\r\n')
    case 'nul':
      return text.slice(0, at) + '\u0000' + text.slice(at)
    case 'garbage':
      return edit.text
    case 'deep':
      // Nesting deep enough to overflow a recursive walker's stack.
      return '['.repeat(20_000 + (edit.at % 100_000)) + ']'.repeat(edit.at % 3 === 0 ? 0 : 20_000 + (edit.at % 100_000))
    case 'empty':
      return ''
    case 'huge-number':
      return text.replace(/\d+/, (d) => d + '0'.repeat(1 + (edit.at % 400)))
    default:
      throw new Error(`unknown edit ${edit.op}`)
  }
}

/** Edits of a binary file; positions are taken modulo the length so any edit applies to any file. */
export const byteEditArb = fc.record({
  op: fc.constantFrom('flip', 'set', 'u16', 'u32', 'truncate', 'append', 'cut', 'repeat'),
  at: fc.nat(),
  value: fc.nat(),
  bytes: fc.uint8Array({maxLength: 64}),
})

export function applyByteEdit(bytes, edit) {
  const n = bytes.length
  const at = n === 0 ? 0 : edit.at % n
  const copy = () => new Uint8Array(bytes)
  switch (edit.op) {
    case 'flip': {
      if (n === 0) return bytes
      const out = copy()
      out[at] ^= 1 << (edit.value % 8)
      return out
    }
    case 'set': {
      if (n === 0) return bytes
      const out = copy()
      out[at] = edit.value % 256
      return out
    }
    case 'u16':
    case 'u32': {
      const width = edit.op === 'u16' ? 2 : 4
      if (n < width) return bytes
      const out = copy()
      const view = new DataView(out.buffer)
      const pos = Math.min(at, n - width)
      if (width === 2) view.setUint16(pos, INTERESTING_U16[edit.value % INTERESTING_U16.length], true)
      else view.setUint32(pos, INTERESTING_U32[edit.value % INTERESTING_U32.length], true)
      return out
    }
    case 'truncate':
      return bytes.slice(0, at)
    case 'append': {
      const out = new Uint8Array(n + edit.bytes.length)
      out.set(bytes)
      out.set(edit.bytes, n)
      return out
    }
    case 'cut':
      return concat(bytes.subarray(0, at), bytes.subarray(Math.min(n, at + 1 + (edit.value % 64))))
    case 'repeat':
      return concat(bytes.subarray(0, at), bytes.subarray(at, Math.min(n, at + 1 + (edit.value % 64))), bytes.subarray(at))
    default:
      throw new Error(`unknown edit ${edit.op}`)
  }
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0))
  let pos = 0
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return out
}

/** A deterministic stream of numbers in [0, 1) (mulberry32): the fixture data of a case comes from its seed. */
export function seeded(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A short description of a case for a failure report: bytes become their length and first bytes. */
export function describeCase(value) {
  return JSON.stringify(value, (_key, v) => {
    if (v instanceof Uint8Array) return `<${v.length} bytes: ${Buffer.from(v.subarray(0, 16)).toString('hex')}...>`
    if (typeof v === 'string' && v.length > 200) return `${v.slice(0, 200)}... (${v.length} chars)`
    return v
  })
}
