// post-function schema: the same as pre-function's (plugins.md §6.21).
import { serverlessSchema } from '../pre-function/schema.js'

export default serverlessSchema('post-function')
