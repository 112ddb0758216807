// Declarative configuration (kong.yml): parsing, validation, flattening into entities, errors,
// export and the `config init` template. See docs/declarative.md.
export { type ErrorList, type ErrorMap, type ErrorTree, isPositionalMap } from './error-tree.js'
export {
  DeclarativeError,
  type DeclarativeErrorBody,
  type DeclarativeErrorKind,
  declarativeErrorBody,
  formatDeclarativeError,
  isDeclarativeError,
} from './errors.js'
export { coreExportSchemas, type ExportOptions, exportDeclarative, toDeclarativeYaml } from './export.js'
export {
  type DeclarativeMeta,
  type FlatConfig,
  type FlattenOptions,
  flattenDeclarative,
  type LoadOptions,
  loadDeclarativeText,
} from './flatten.js'
export type { FlattenedError, FlattenedItem } from './flatten-errors.js'
export { canonicalJson, configurationHash, EMPTY_CONFIG_HASH } from './hash.js'
export { DeclarativeModel, type DefinitionVariant } from './model.js'
export {
  type DeclarativeResult,
  md5Hex,
  type ParsedDeclarative,
  type ParseOptions,
  parseDeclarativeText,
} from './parse.js'
export { migratePath, migrateRoutePaths } from './route-paths.js'
export { initTemplate } from './template.js'
export { DECLARATIVE_NAMESPACE, entityNamespace, entityUuid, uuidV5 } from './uuid.js'
export { FORMAT_VERSIONS } from './validate.js'
