/** Figures of another process, read from Linux's /proc; undefined where there is none. */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

let ticks: number | undefined

/** The kernel's clock ticks per second, the unit of CPU times in /proc/PID/stat. */
function ticksPerSecond (): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
    } catch {
      ticks = 100
    }
  }
  return ticks
}

function read (path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** CPU time (user + system, all threads) the process has used so far, seconds. */
export function cpuSeconds (pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`)
  if (stat === undefined) return undefined
  // the command name (field 2) may hold spaces and parentheses: count from its closing one;
  // utime and stime are fields 14 and 15, so 11 and 12 after the state (field 3)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond()
}

/** The peak resident set size since the process started (VmHWM), bytes. */
export function peakRssBytes (pid: number): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/status`) ?? '')
  return match === null ? undefined : Number(match[1]) * 1024
}

/**
 * Resets the process's VmHWM to its current RSS (Linux ≥ 4.0), so that a later
 * peakRssBytes is the peak since now, not the start-up's. False when not allowed.
 */
export function resetPeakRss (pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}
