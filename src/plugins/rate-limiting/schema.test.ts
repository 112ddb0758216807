import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { nodeConf, setNodeConf } from '../../conf/current.js'
import type { Conf } from '../../conf/index.js'
import type { Field } from '../../db/schema/field.js'
import { validateField } from '../../db/schema/validate.js'
import schema from './schema.js'

const config = schema.fields.config as Field
const policy = config.fields?.policy as Field

describe('rate-limiting schema', () => {
  const previous = nodeConf()
  after(() => {
    if (previous !== null) setNodeConf(previous)
  })

  it('offers the cluster policy only on a node with a database of its own, as Kong', () => {
    setNodeConf({ database: 'postgres', role: 'traditional' } as unknown as Conf)
    assert.equal(validateField(policy, 'cluster'), undefined)
    for (const node of [
      { database: 'off', role: 'traditional' },
      { database: 'postgres', role: 'control_plane' },
    ]) {
      setNodeConf(node as unknown as Conf)
      assert.equal(validateField(policy, 'cluster'), 'expected one of: local, redis')
      assert.equal(validateField(policy, 'redis'), undefined)
      assert.equal(validateField(policy, 'local'), undefined)
    }
  })

  it('window_type: fixed (default) or sliding', () => {
    const windowType = config.fields?.window_type as Field
    assert.equal(windowType.default, 'fixed')
    assert.equal(validateField(windowType, 'sliding'), undefined)
    assert.equal(validateField(windowType, 'rolling'), 'expected one of: fixed, sliding')
  })
})
