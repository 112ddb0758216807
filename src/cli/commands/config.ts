// `silverback config init|parse|db_import|db_export` (declarative configuration).
import type { ConfFlags } from '../conf.js'
import { CliError } from '../output.js'

export async function config(sub: string, file: string | undefined, flags: ConfFlags): Promise<number> {
  void file
  void flags
  throw new CliError(`'kong config ${sub}' is not available yet`)
}
