// Helpers shared by the upstream benchmarks: child processes pinned to a core, process CPU time,
// medians.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/** Pins this process (all its threads) to `cpu`; false when taskset or a second core is missing. */
export function pinSelf(cpu: number): boolean {
  if (availableParallelism() < 2) return false
  try {
    execFileSync('taskset', ['-a', '-cp', String(cpu), String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Starts `node args...` (pinned to `cpu` when `pin`), waits for it to print its port on stdout.
 * The child is killed when this process exits.
 */
export async function startNode(
  args: string[],
  opts: { pin: boolean; cpu: number; env?: NodeJS.ProcessEnv },
): Promise<{ port: number; child: ChildProcess; stop: () => void }> {
  const cmd = opts.pin ? 'taskset' : process.execPath
  const full = opts.pin ? ['-c', String(opts.cpu), process.execPath, ...args] : args
  const child = spawn(cmd, full, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...opts.env },
  })
  const stop = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM')
  }
  process.once('exit', stop)
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve(Number(out.trim()))
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)))
  })
  return { port, child, stop }
}

/** CPU time (user + system) of a process in µs, from /proc (Linux). */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields 14 and 15 of stat(5) (utime, stime), counted from field 3 here; clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
