// Path resolution. The prefix and the paths a user passes on the command line or in the file
// (declarative_config, error templates) are relative to the working directory, as in Kong; the files
// Silverback keeps in its working directory (sqlite_path, lmdb_environment_path, log files) are
// relative to the prefix, as nginx resolves them.
import { isAbsolute, join, resolve } from 'node:path'
import type { Conf, DerivedConf } from './types.js'

const LOG_PROPERTIES = [
  'proxy_access_log',
  'proxy_error_log',
  'proxy_stream_access_log',
  'proxy_stream_error_log',
  'admin_access_log',
  'admin_error_log',
  'admin_gui_access_log',
  'admin_gui_error_log',
  'status_access_log',
  'status_error_log',
] as const

const CWD_RELATIVE = [
  'declarative_config',
  'error_template_html',
  'error_template_json',
  'error_template_xml',
  'error_template_plain',
] as const

/**
 * A log value is `off`, or a path optionally followed by a format name (`logs/access.log basic`).
 * `syslog:` targets and absolute paths are kept as written.
 */
export function resolveLogPath(value: string, prefix: string): string {
  if (value === 'off' || value.startsWith('syslog:')) return value
  const match = /^(\S+)(.*)$/s.exec(value)
  if (!match || isAbsolute(match[1])) return value
  return resolve(prefix, match[1]) + match[2]
}

export function resolvePaths(conf: Conf, cwd: string) {
  const prefix = resolve(cwd, conf.prefix)
  conf.prefix = prefix
  conf.sqlite_path = resolve(prefix, conf.sqlite_path)
  conf.lmdb_environment_path = resolve(prefix, conf.lmdb_environment_path)
  for (const name of LOG_PROPERTIES) conf[name] = resolveLogPath(conf[name], prefix)
  for (const name of CWD_RELATIVE) {
    const value = conf[name]
    if (value !== null) conf[name] = resolve(cwd, value)
  }
}

type PrefixPaths = Pick<
  DerivedConf,
  | 'kong_env'
  | 'ssl_cert_default'
  | 'ssl_cert_key_default'
  | 'ssl_cert_default_ecdsa'
  | 'ssl_cert_key_default_ecdsa'
  | 'admin_ssl_cert_default'
  | 'admin_ssl_cert_key_default'
  | 'admin_ssl_cert_default_ecdsa'
  | 'admin_ssl_cert_key_default_ecdsa'
  | 'admin_gui_ssl_cert_default'
  | 'admin_gui_ssl_cert_key_default'
  | 'admin_gui_ssl_cert_default_ecdsa'
  | 'admin_gui_ssl_cert_key_default_ecdsa'
  | 'status_ssl_cert_default'
  | 'status_ssl_cert_key_default'
  | 'status_ssl_cert_default_ecdsa'
  | 'status_ssl_cert_key_default_ecdsa'
>

/** Files Silverback keeps in the prefix (Kong's PREFIX_PATHS, without the nginx-only ones). */
export function prefixPaths(prefix: string): PrefixPaths {
  const ssl = (file: string) => join(prefix, 'ssl', file)
  return {
    kong_env: join(prefix, '.kong_env'),
    ssl_cert_default: ssl('kong-default.crt'),
    ssl_cert_key_default: ssl('kong-default.key'),
    ssl_cert_default_ecdsa: ssl('kong-default-ecdsa.crt'),
    ssl_cert_key_default_ecdsa: ssl('kong-default-ecdsa.key'),
    admin_ssl_cert_default: ssl('admin-kong-default.crt'),
    admin_ssl_cert_key_default: ssl('admin-kong-default.key'),
    admin_ssl_cert_default_ecdsa: ssl('admin-kong-default-ecdsa.crt'),
    admin_ssl_cert_key_default_ecdsa: ssl('admin-kong-default-ecdsa.key'),
    admin_gui_ssl_cert_default: ssl('admin-gui-kong-default.crt'),
    admin_gui_ssl_cert_key_default: ssl('admin-gui-kong-default.key'),
    admin_gui_ssl_cert_default_ecdsa: ssl('admin-gui-kong-default-ecdsa.crt'),
    admin_gui_ssl_cert_key_default_ecdsa: ssl('admin-gui-kong-default-ecdsa.key'),
    status_ssl_cert_default: ssl('status-kong-default.crt'),
    status_ssl_cert_key_default: ssl('status-kong-default.key'),
    status_ssl_cert_default_ecdsa: ssl('status-kong-default-ecdsa.crt'),
    status_ssl_cert_key_default_ecdsa: ssl('status-kong-default-ecdsa.key'),
  }
}
