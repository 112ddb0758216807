// post-function (plugins.md §6.21): pre-function's handler at PRIORITY -1000, so its functions
// run after every other plugin in each phase.
import { serverlessPlugin } from '../pre-function/handler.js'
import schema from './schema.js'

export default serverlessPlugin(schema, -1000)
