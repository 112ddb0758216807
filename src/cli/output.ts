// CLI output conventions (Kong's): errors on stderr as `Error: <message>` plus a hint, exit 1;
// with --v/--vv the stack trace is printed instead of the hint.

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

export interface Verbosity {
  v?: boolean
  vv?: boolean
}

export function printError(err: unknown, verbosity: Verbosity): void {
  const e = err instanceof Error ? err : new Error(String(err))
  if (verbosity.v || verbosity.vv) {
    process.stderr.write(`Error: \n${e.stack ?? e.message}\n`)
    return
  }
  process.stderr.write(`Error: ${e.message}\n\n  Run with --v (verbose) or --vv (debug) for more details\n`)
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`)
}

export function warn(line: string): void {
  process.stderr.write(`${line}\n`)
}
