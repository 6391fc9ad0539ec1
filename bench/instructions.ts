/**
 * `npm run bench:instructions`: instructions per request, the service against the
 * baseline, for every read scenario of `npm run bench`, counted by valgrind's
 * callgrind. On a shared machine CPU time per request moves by ±10% between runs of
 * the same build; the instructions a process executes do not depend on what else
 * runs (but V8's collector and its helper threads are counted too, so a batch moves
 * by a few percent).
 *
 * Each server runs under `valgrind --tool=callgrind --cache-sim=no` with node's
 * `--no-concurrent-recompilation` (V8 then optimises at the same point in every
 * run), on its own copy of the template database; the baseline and the service of
 * a scenario run at the same time, a core each. INSTRUCTIONS_WARMUP requests (6000)
 * over 4 keep-alive connections warm each up, then INSTRUCTIONS_BATCHES batches (4)
 * of 2000 are counted, each from `callgrind_control -z` to `callgrind_control -e Ir`;
 * the figure is the median of the batches after the first (a batch that a major
 * collection lands in counts a third more).
 * Writes are left out: their cost is the fsync, which no instruction count shows.
 * Not part of `npm test`; needs valgrind (Debian: `apt-get install valgrind`).
 */
import { execFile, spawnSync } from 'node:child_process'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { targetOf, type Scenario } from './scenarios.js'
import { cleanUp, compileChildren, copyDatabase, credentials, median, positiveNumber, prepareTemplate, refuse, root, scenariosFor, startServer, type RunningServer, type Side } from './setup.js'

const execFileAsync = promisify(execFile)
const BATCH = 2000
const CONNECTIONS = 4

const WARMUP = positiveNumber('INSTRUCTIONS_WARMUP', 6000, true)
const BATCHES = positiveNumber('INSTRUCTIONS_BATCHES', 4, true)
if (BATCHES < 2) refuse('INSTRUCTIONS_BATCHES must be at least 2: the first is not counted')

/** Sends `n` copies of the scenario's request over the agent's connections; any other status than the expected one fails the run. */
async function send (server: RunningServer, scenario: Scenario, agent: Agent, n: number): Promise<void> {
  let sent = 0
  const one = () => new Promise<void>((resolve, reject) => {
    const req = request(server.url + scenario.path, { method: scenario.method, headers: scenario.headers, agent }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode === scenario.expect) resolve()
        else reject(new Error(`${scenario.title}: ${res.statusCode}, not ${scenario.expect}`))
      })
    })
    req.on('error', reject)
    req.end()
  })
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (sent++ < n) await one()
  }))
}

/** The instructions every thread of `pid` executed since the counters were last zeroed. */
async function instructions (pid: number): Promise<number> {
  const { stdout } = await execFileAsync('callgrind_control', ['-e', 'Ir', String(pid)])
  // "   Th 1  500,912,296": one line per thread
  return stdout.split('\n').filter((line) => /^\s*Th \d+/.test(line))
    .reduce((sum, line) => sum + Number(line.trim().split(/\s+/).at(-1)!.replaceAll(',', '')), 0)
}

/** Thousand instructions per request, batch by batch, after the warm-up. */
async function measure (server: RunningServer, scenario: Scenario): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  try {
    await send(server, scenario, agent, WARMUP)
    const batches: number[] = []
    for (let i = 0; i < BATCHES; i++) {
      await execFileAsync('callgrind_control', ['-z', String(server.pid)])
      await send(server, scenario, agent, BATCH)
      batches.push(await instructions(server.pid) / BATCH / 1000)
    }
    return batches
  } finally {
    agent.destroy()
  }
}

const underCallgrind = (dir: string) => ({
  prefix: ['valgrind', '-q', '--tool=callgrind', '--cache-sim=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'callgrind.out')}`],
  nodeFlags: ['--no-concurrent-recompilation']
})

async function main (): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0 || spawnSync('callgrind_control', ['-h']).error !== undefined) {
    refuse('bench:instructions needs valgrind and callgrind_control (Debian: apt-get install valgrind)')
  }
  compileChildren()
  const template = await prepareTemplate()
  const probeDir = join(root, 'probe')
  copyDatabase(template.path, probeDir)
  const probe = await startServer('service', probeDir)
  const list = await scenariosFor(probe.url, credentials(template), new Agent({ keepAlive: false }))
  await probe.stop()

  process.stdout.write(`thousand instructions per request: the median of ${BATCHES} batches of ${BATCH} but the first, after ${WARMUP} to warm up\n\n` +
    '| scenario | baseline | service | ratio | target |\n|---|---|---|---|---|\n')
  for (const scenario of list.filter((s) => s.kind !== 'write')) {
    const servers = await Promise.all((['baseline', 'service'] as const).map(async (side: Side) => {
      const dir = join(root, `${scenario.id}-${side}`)
      copyDatabase(template.path, dir)
      return await startServer(side, dir, underCallgrind(dir))
    }))
    const [baseline, service] = await Promise.all(servers.map((server) => measure(server, scenario)))
    await Promise.all(servers.map((server) => server.stop()))
    const settled = (batches: number[]) => median(batches.slice(1))
    process.stderr.write(`${scenario.id} ${scenario.title}: baseline ${baseline!.map((k) => k.toFixed(1)).join(' ')}, service ${service!.map((k) => k.toFixed(1)).join(' ')}\n`)
    process.stdout.write(`| ${scenario.id} ${scenario.title} | ${settled(baseline!).toFixed(1)} | ${settled(service!).toFixed(1)} | ` +
      `${(settled(baseline!) / settled(service!)).toFixed(2)} | ${targetOf(scenario).toFixed(2)} |\n`)
  }
}

try {
  await main()
} catch (err) {
  process.stderr.write(`bench:instructions: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
} finally {
  await cleanUp()
}
