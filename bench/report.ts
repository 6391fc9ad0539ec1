/** The results of `npm run bench`: their shape (bench/results.json), the table on stdout, and the SVG chart. */
import type { LoadResult } from './load.js'
import type { Kind } from './scenarios.js'

export interface Machine {
  readonly cpuModel: string
  readonly cores: number
  readonly nodeVersion: string
  readonly os: string
  /** The file system the databases were on: fsync costs nothing on tmpfs. */
  readonly databaseFileSystem: string
  readonly loadAverageAtStart: readonly number[]
}

/** One server's figures for a scenario: medians over the rounds. */
export interface SideResult {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Cores the server kept busy (1: one core all the time); null without /proc. */
  readonly cpu: number | null
  /** The server's CPU time per request, microseconds: its cost, saturated or not. */
  readonly cpuUsPerRequest: number | null
  /** Cores the load generator used while loading this server. */
  readonly loadCpu: number
  /** VmHWM between the end of start-up and the end of the scenario's runs (the process serves this scenario alone). */
  readonly peakRssMb: number | null
  /** VmHWM at the end of start-up, before any load. */
  readonly startupPeakRssMb: number | null
  readonly runs: readonly LoadResult[]
}

export interface ScenarioResult {
  readonly id: string
  readonly title: string
  readonly kind: Kind
  readonly connections: number
  readonly baseline: SideResult
  readonly service: SideResult
  /** Service over baseline requests/s. */
  readonly ratio: number
  readonly target: number
  /** Runs that saw a status other than the expected one, or connection errors; invalid when any. */
  readonly problems: readonly string[]
  readonly pass: boolean
}

export interface Results {
  readonly date: string
  readonly machine: Machine
  readonly pinning: string
  readonly settings: { readonly secondsPerRun: number, readonly warmupSeconds: number, readonly rounds: number, readonly order: string }
  readonly startup: { readonly samplesMs: readonly number[], readonly medianMs: number, readonly targetMs: number, readonly pass: boolean }
  readonly peakRss: {
    readonly maxMb: number | null
    readonly targetMb: number
    readonly pass: boolean
    /** How the peak under load was told apart from start-up's. */
    readonly method: string
    /** The largest VmHWM at the end of start-up, before any request. */
    readonly startupMaxMb: number | null
  }
  readonly scenarios: readonly ScenarioResult[]
  readonly notes: readonly string[]
}

export const verdict = (pass: boolean, valid = true) => valid ? (pass ? 'PASS' : 'MISS') : 'INVALID'

const fixed = (value: number | null, digits: number) => value === null ? '-' : value.toFixed(digits)
const pair = (a: string, b: string) => `${a} / ${b}`

function machineLine (results: Results): string {
  const m = results.machine
  return `${m.cpuModel}, ${m.cores} cores, Node ${m.nodeVersion}, ${m.os}; ${results.date}`
}

/** The table printed on stdout. */
export function renderTable (results: Results): string {
  const header = ['scenario', 'conns', 'baseline req/s', 'service req/s', 'ratio', 'target', 'p50 ms B / S', 'p99 ms B / S', 'peak RSS MB B / S', 'CPU µs/req B / S', 'result']
  const rows = results.scenarios.map((s) => [
    `${s.id} ${s.title}`,
    String(s.connections),
    s.baseline.requestsPerSecond.toFixed(0),
    s.service.requestsPerSecond.toFixed(0),
    s.ratio.toFixed(2),
    `>= ${s.target.toFixed(2)}`,
    pair(s.baseline.p50Ms.toFixed(2), s.service.p50Ms.toFixed(2)),
    pair(s.baseline.p99Ms.toFixed(2), s.service.p99Ms.toFixed(2)),
    pair(fixed(s.baseline.peakRssMb, 0), fixed(s.service.peakRssMb, 0)),
    pair(fixed(s.baseline.cpuUsPerRequest, 0), fixed(s.service.cpuUsPerRequest, 0)),
    verdict(s.pass, s.problems.length === 0)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  // text columns left, figures right
  const line = (cells: readonly string[]) => cells.map((c, i) => i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ').trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  const { startup, peakRss } = results
  return [
    `restful-api against a bare node:http baseline: ${machineLine(results)}`,
    `${results.pinning}; ${results.settings.rounds} rounds of ${results.settings.secondsPerRun} s per server (${results.settings.order}), ` +
      `${results.settings.warmupSeconds} s warm-up before each; medians. B = baseline, S = service.`,
    '',
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `peak RSS of the service under load, largest of all scenarios: ${fixed(peakRss.maxMb, 0)} MB (target <= ${peakRss.targetMb} MB): ${verdict(peakRss.pass)}` +
      ` (${peakRss.method}); at the end of start-up, before any request: ${fixed(peakRss.startupMaxMb, 0)} MB`,
    `startup to "listening on", median of ${startup.samplesMs.length}: ${startup.medianMs.toFixed(0)} ms (target <= ${startup.targetMs} ms): ${verdict(startup.pass)}`,
    ...results.notes.map((note) => `note: ${note}`)
  ].join('\n') + '\n'
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot' } as Record<string, string>)[c]};`)

/** A horizontal bar per scenario: its ratio, with its target marked. Hand-written SVG, no dependency. */
export function renderSvg (results: Results): string {
  const rowHeight = 30
  const left = 250
  const plotWidth = 480
  const top = 92
  const height = top + results.scenarios.length * rowHeight + 70
  const width = left + plotWidth + 190
  const scaleMax = Math.max(1.2, Math.ceil(Math.max(...results.scenarios.map((s) => s.ratio)) * 10) / 10)
  const x = (ratio: number) => left + Math.min(ratio, scaleMax) / scaleMax * plotWidth
  const colour = (s: ScenarioResult) => s.problems.length > 0 ? '#9e9e9e' : s.pass ? '#2e7d32' : '#c62828'
  const bottom = top + results.scenarios.length * rowHeight

  const grid: string[] = []
  for (let tick = 0; tick <= scaleMax + 1e-9; tick += 0.2) {
    const at = x(tick).toFixed(1)
    grid.push(`<line x1="${at}" y1="${top - 6}" x2="${at}" y2="${bottom}" stroke="#e0e0e0"/>`,
      `<text x="${at}" y="${bottom + 16}" text-anchor="middle" class="small">${tick.toFixed(1)}</text>`)
  }
  const bars = results.scenarios.map((s, i) => {
    const y = top + i * rowHeight
    const end = x(s.ratio)
    return [
      `<text x="${left - 10}" y="${y + 17}" text-anchor="end">${escapeXml(`${s.id} ${s.title}`)}</text>`,
      `<rect x="${left}" y="${y + 5}" width="${(end - left).toFixed(1)}" height="18" fill="${colour(s)}"/>`,
      `<line x1="${x(s.target).toFixed(1)}" y1="${y + 1}" x2="${x(s.target).toFixed(1)}" y2="${y + 27}" stroke="#212121" stroke-width="2" stroke-dasharray="3 2"/>`,
      `<text x="${left + plotWidth + 10}" y="${y + 17}">${s.ratio.toFixed(2)} (target ${s.target.toFixed(2)}) ${verdict(s.pass, s.problems.length === 0)}</text>`
    ].join('\n  ')
  })
  const { startup, peakRss } = results
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">
  <style>.small { font-size: 11px; fill: #555 } .title { font-size: 16px; font-weight: bold }</style>
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="16" y="26" class="title">restful-api requests/s as a share of a bare node:http baseline (same run, medians)</text>
  <text x="16" y="46" class="small">${escapeXml(machineLine(results))}</text>
  <text x="16" y="62" class="small">${escapeXml(`${results.pinning}; ${results.settings.rounds} × ${results.settings.secondsPerRun} s per server, alternating`)}</text>
  <text x="16" y="78" class="small">bar: ratio (green PASS, red MISS, grey INVALID); dashed line: target; 1.0: the baseline</text>
  ${grid.join('\n  ')}
  <line x1="${x(1).toFixed(1)}" y1="${top - 6}" x2="${x(1).toFixed(1)}" y2="${bottom}" stroke="#1565c0"/>
  ${bars.join('\n  ')}
  <text x="16" y="${bottom + 40}">${escapeXml(`peak RSS of the service under load: ${fixed(peakRss.maxMb, 0)} MB (target ≤ ${peakRss.targetMb} MB) ${verdict(peakRss.pass)}`)}</text>
  <text x="16" y="${bottom + 58}">${escapeXml(`startup to "listening on" (median of ${startup.samplesMs.length}): ${startup.medianMs.toFixed(0)} ms (target ≤ ${startup.targetMs} ms) ${verdict(startup.pass)}`)}</text>
</svg>
`
}
