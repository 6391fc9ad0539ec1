/**
 * `npm run bench`: the service (built, in production mode, logging to its file
 * at info) against a bare node:http baseline that gives the same answers
 * (bench/baseline.ts), in the same run, on the same core, alternating, so that
 * only ratios are reported: absolute figures on a shared machine mean little.
 *
 * 1. a template database: the service's own `migrate`, tokens from its CLI, and
 *    enough articles for a full page, with the RealWorld API's users, tags,
 *    follows and favorites; every server gets a copy;
 * 2. startup: `node dist/cli.js` spawned a few times, to its `listening on` line;
 * 3. check: every scenario's request to both servers (the reads first), answers
 *    compared; exits 1 on any difference, before anything is measured;
 * 4. per scenario, a fresh pair of servers on fresh copies (so that VmHWM is the
 *    scenario's peak, and writes do not change what reads see), then rounds of
 *    baseline, service, baseline, service, …, each run a warm-up and a
 *    measurement by autocannon in its own process (bench/load.ts), pinned to
 *    another core than the servers when there are two.
 *
 * Writes the table to stdout, bench/results.json and bench/results.svg.
 * BENCH_DURATION (seconds per run, default 5) and BENCH_ROUNDS (default 3).
 */
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { availableParallelism, cpus, loadavg, release, type } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { differences, fetchAnswer, VARYING_HEADERS } from './check.js'
import type { LoadResult, LoadSpec } from './load.js'
import { peakRssBytes, resetPeakRss } from './proc.js'
import { renderSvg, renderTable, type Machine, type Results, type ScenarioResult, type SideResult } from './report.js'
import { CONNECTIONS, TARGETS, targetOf, type Fixtures, type Scenario } from './scenarios.js'
import { buildDir, cleanUp, compileChildren, copyDatabase, credentials, median, positiveNumber, prepareTemplate, root, scenariosFor, startServer, type RunningServer, type Side } from './setup.js'

const execFileAsync = promisify(execFile)

const SECONDS = positiveNumber('BENCH_DURATION', 5)
const ROUNDS = Math.round(positiveNumber('BENCH_ROUNDS', 3))
/** BENCH_ONLY=1,3a: only these scenarios (while profiling one); every one by default */
const ONLY = process.env.BENCH_ONLY?.split(',').map((id) => id.trim()).filter((id) => id !== '')
const WARMUP_SECONDS = 1
const STARTUPS = 5
const MB = 1024 * 1024

/** taskset prefixes: servers on core 0, the load generator on core 1, when the machine has two. */
const pinning = (() => {
  const hasTaskset = spawnSync('taskset', ['-V']).status === 0
  if (!hasTaskset || availableParallelism() < 2) {
    return { servers: [], load: [], text: `no pinning (${hasTaskset ? `${availableParallelism()} core` : 'no taskset'}): servers and load share the cores` }
  }
  return { servers: ['taskset', '-c', '0'], load: ['taskset', '-c', '1'], text: 'servers pinned to core 0, load generator to core 1 (taskset)' }
})()

const progress = (line: string) => process.stderr.write(`${line}\n`)

type Pair = Record<Side, RunningServer>

async function startPair (template: string, dir: string): Promise<Pair> {
  copyDatabase(template, join(dir, 'baseline'))
  copyDatabase(template, join(dir, 'service'))
  const [baseline, service] = await Promise.all([startServer('baseline', join(dir, 'baseline'), { prefix: pinning.servers }), startServer('service', join(dir, 'service'), { prefix: pinning.servers })])
  return { baseline, service }
}

const stopPair = async (pair: Pair) => { await Promise.all([pair.baseline.stop(), pair.service.stop()]) }

/** Unpinned, as a user starts it, on a database that exists (the schema is up to date). */
async function measureStartup (template: string): Promise<number[]> {
  const dir = join(root, 'startup')
  copyDatabase(template, dir)
  const samples: number[] = []
  for (let i = 0; i < STARTUPS; i++) {
    const server = await startServer('service', dir)
    samples.push(server.startupMs)
    await server.stop()
  }
  return samples
}

/** Sends every scenario's request to both servers; on any difference prints them and exits 1. */
async function checkAnswers (template: string, fixtures: Omit<Fixtures, 'etag'>): Promise<Scenario[]> {
  const pair = await startPair(template, join(root, 'check'))
  const agents = { baseline: new Agent({ keepAlive: true }), service: new Agent({ keepAlive: true }) }
  try {
    const list = await scenariosFor(pair.service.url, fixtures, agents.service)
    const problems: string[] = []
    // reads first: a write changes what a later read of the same servers would see
    for (const scenario of [...list.filter((s) => s.kind !== 'write'), ...list.filter((s) => s.kind === 'write')]) {
      const baseline = await fetchAnswer(pair.baseline.url, scenario, agents.baseline)
      const service = await fetchAnswer(pair.service.url, scenario, agents.service)
      const diff = differences(baseline, service, scenario.kind === 'write')
      if (service.status !== scenario.expect) diff.unshift(`  the service answered ${service.status}, not ${scenario.expect}`)
      if (diff.length > 0) problems.push(`${scenario.id} ${scenario.title}:`, ...diff)
    }
    if (problems.length > 0) {
      process.stderr.write(`bench: the baseline's answers differ from the service's; nothing was measured\n${problems.join('\n')}\n`)
      process.exitCode = 1
      throw new Error('answers differ')
    }
    progress(`check: the ${list.length} scenarios' answers are identical (but for the values of ${[...VARYING_HEADERS].join(', ')} and a write's moment and slug)`)
    return ONLY === undefined ? list : list.filter((scenario) => ONLY.includes(scenario.id))
  } finally {
    agents.baseline.destroy()
    agents.service.destroy()
    await stopPair(pair)
  }
}

async function load (server: RunningServer, scenario: Scenario): Promise<LoadResult> {
  const spec: LoadSpec = {
    url: server.url + scenario.path,
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.body,
    unique: scenario.unique,
    connections: CONNECTIONS[scenario.kind],
    warmupSeconds: WARMUP_SECONDS,
    seconds: SECONDS,
    serverPid: server.pid
  }
  const command = [...pinning.load, process.execPath, join(buildDir, 'bench', 'load.js'), JSON.stringify(spec)]
  const { stdout } = await execFileAsync(command[0]!, command.slice(1), { maxBuffer: 16 * MB })
  return JSON.parse(stdout) as LoadResult
}

/** What made a run invalid: any status but the expected one, or connection errors. */
function problemsOf (side: Side, round: number, run: LoadResult, expect: number): string[] {
  const problems = Object.entries(run.statuses).filter(([status]) => Number(status) !== expect).map(([status, count]) => `${count} × ${status}`)
  if (run.errors > 0) problems.push(`${run.errors} connection errors`)
  return problems.length === 0 ? [] : [`${side} round ${round + 1}: ${problems.join(', ')}`]
}

/** Peak RSS, bytes: at the end of start-up, and since then. */
interface Peaks { startup: number | undefined, load: number | undefined }

const medianOf = (values: ReadonlyArray<number | null>) => {
  const known = values.filter((v): v is number => v !== null)
  return known.length === 0 ? null : median(known)
}
const toMb = (bytes: number | undefined) => bytes === undefined ? null : bytes / MB

function summarise (runs: readonly LoadResult[], peaks: Peaks): SideResult {
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpu: medianOf(runs.map((r) => r.serverCpu)),
    cpuUsPerRequest: medianOf(runs.map((r) => r.serverCpuUsPerRequest)),
    loadCpu: median(runs.map((r) => r.loadCpu)),
    peakRssMb: toMb(peaks.load),
    startupPeakRssMb: toMb(peaks.startup),
    runs
  }
}

/** Whether VmHWM could be reset after start-up everywhere; else peaks include start-up's. */
let peaksReset = true

/** VmHWM at the end of start-up, then reset, so that the next reading is the peak under load alone. */
function startupPeak (pid: number): number | undefined {
  const peak = peakRssBytes(pid)
  if (!resetPeakRss(pid)) peaksReset = false
  return peak
}

async function measure (template: string, scenario: Scenario): Promise<ScenarioResult> {
  const pair = await startPair(template, join(root, `scenario-${scenario.id}`))
  const runs: Record<Side, LoadResult[]> = { baseline: [], service: [] }
  const problems: string[] = []
  const peaks: Record<Side, Peaks> = {
    baseline: { startup: startupPeak(pair.baseline.pid), load: undefined },
    service: { startup: startupPeak(pair.service.pid), load: undefined }
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // alternating, so that drift on a shared machine hits both alike
      for (const side of ['baseline', 'service'] as const) {
        const run = await load(pair[side], scenario)
        runs[side].push(run)
        problems.push(...problemsOf(side, round, run, scenario.expect))
      }
    }
    peaks.baseline.load = peakRssBytes(pair.baseline.pid)
    peaks.service.load = peakRssBytes(pair.service.pid)
  } finally {
    await stopPair(pair)
  }
  const baseline = summarise(runs.baseline, peaks.baseline)
  const service = summarise(runs.service, peaks.service)
  const ratio = service.requestsPerSecond / baseline.requestsPerSecond
  const target = targetOf(scenario)
  const result: ScenarioResult = {
    id: scenario.id,
    title: scenario.title,
    kind: scenario.kind,
    connections: CONNECTIONS[scenario.kind],
    baseline,
    service,
    ratio,
    target,
    problems,
    pass: problems.length === 0 && ratio >= target
  }
  progress(`${scenario.id} ${scenario.title}: baseline ${baseline.requestsPerSecond.toFixed(0)} req/s, service ${service.requestsPerSecond.toFixed(0)} req/s, ratio ${ratio.toFixed(2)}` +
    (problems.length > 0 ? `; INVALID: ${problems.join('; ')}` : ''))
  return result
}

/** The file system holding `path`: the mount with the longest matching mount point. */
function fileSystemOf (path: string): string {
  let best = { mount: '', type: 'unknown' }
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, fsType] = line.split(' ')
      if (mount !== undefined && fsType !== undefined && (path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`)) && mount.length >= best.mount.length) {
        best = { mount, type: fsType }
      }
    }
  } catch {}
  return best.type
}

/** Observations a reader of the figures needs. */
function notesOn (results: readonly ScenarioResult[], machine: Machine): string[] {
  const notes: string[] = []
  // a server that is not kept busy was not what limited the rate: the ratio then understates the gap
  const unsaturated = results.filter((s) => s.kind !== 'write' && s.baseline.cpu !== null && s.baseline.cpu < 0.9)
  const describe = (list: readonly ScenarioResult[]) => list.map((s) => `${s.id} (${s.baseline.cpu!.toFixed(2)} core, load generator ${s.baseline.loadCpu.toFixed(2)})`).join(', ')
  const loadBound = unsaturated.filter((s) => s.baseline.loadCpu >= 0.9)
  const contended = unsaturated.filter((s) => s.baseline.loadCpu < 0.9)
  if (loadBound.length > 0) {
    notes.push(`the load generator was the limit of the baseline in ${describe(loadBound)}: those ratios flatter the service; CPU µs/req compares the costs`)
  }
  if (contended.length > 0) {
    notes.push(`neither the baseline nor the load generator kept its core busy in ${describe(contended)}: other processes took CPU ` +
      `(load average at start ${machine.loadAverageAtStart.join(', ')}); both sides alternate, so ratios stay comparable, absolute figures do not`)
  }
  if (machine.databaseFileSystem === 'tmpfs') notes.push('the databases were on tmpfs, where fsync costs nothing: writes are not durable there')
  notes.push('writes are bound by fsync: the baseline commits each write alone, the service the writes that arrive together (group commit); CPU shows how much of a core each server needed for them')
  return notes
}

async function main (): Promise<void> {
  const machine: Machine = {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    nodeVersion: process.version,
    os: `${type()} ${release()}`,
    databaseFileSystem: fileSystemOf(root),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100)
  }
  progress(`bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.nodeVersion}; ${pinning.text}; working in ${root} (${machine.databaseFileSystem})`)
  compileChildren()
  const template = await prepareTemplate()
  const startupSamples = await measureStartup(template.path)
  progress(`startup: ${startupSamples.map((ms) => ms.toFixed(0)).join(', ')} ms`)
  const fixtures = credentials(template)
  const list = await checkAnswers(template.path, fixtures)

  const measured: ScenarioResult[] = []
  for (const scenario of list) measured.push(await measure(template.path, scenario))

  const startupMs = median(startupSamples)
  const largest = (values: ReadonlyArray<number | null>) => {
    const known = values.filter((v): v is number => v !== null)
    return known.length === 0 ? null : Math.max(...known)
  }
  const maxRss = largest(measured.map((s) => s.service.peakRssMb))
  const results: Results = {
    date: new Date().toISOString(),
    machine,
    pinning: pinning.text,
    settings: { secondsPerRun: SECONDS, warmupSeconds: WARMUP_SECONDS, rounds: ROUNDS, order: 'baseline, service, baseline, service, …' },
    startup: { samplesMs: startupSamples, medianMs: startupMs, targetMs: TARGETS.startupMs, pass: startupMs <= TARGETS.startupMs },
    peakRss: {
      maxMb: maxRss,
      targetMb: TARGETS.peakRssMb,
      pass: maxRss !== null && maxRss <= TARGETS.peakRssMb,
      method: peaksReset
        ? 'VmHWM reset after start-up, read after the runs; servers restarted per scenario'
        : 'VmHWM since start, start-up included (it could not be reset); servers restarted per scenario',
      startupMaxMb: largest(measured.map((s) => s.service.startupPeakRssMb))
    },
    scenarios: measured,
    notes: notesOn(measured, machine)
  }
  process.stdout.write(renderTable(results))
  // a partial run must not stand in for the full one
  if (ONLY !== undefined) {
    progress('BENCH_ONLY: bench/results.json and bench/results.svg left as they were')
    return
  }
  writeFileSync('bench/results.json', JSON.stringify(results, null, 2) + '\n')
  writeFileSync('bench/results.svg', renderSvg(results))
  progress('written: bench/results.json, bench/results.svg')
}

try {
  await main()
} catch (err) {
  if (process.exitCode === undefined) {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
} finally {
  await cleanUp()
}
