// Construction of DAO errors (admin-api.md §5): codes, names, messages, `fields` / `options`,
// and the schema violation summary (ordering, nesting, array indexes).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type DaoError, ERROR_CODES, errors, summarize } from './errors.js'

const UUID = 'cbb297c0-a956-486d-ad1d-f9b42df9465a'

const wire = (e: DaoError) => JSON.parse(JSON.stringify(e.toJSON())) as Record<string, unknown>

describe('error codes and names (§5.2)', () => {
  it('uses the numbered codes', () => {
    assert.deepEqual(
      [
        ERROR_CODES.INVALID_PRIMARY_KEY,
        ERROR_CODES.SCHEMA_VIOLATION,
        ERROR_CODES.PRIMARY_KEY_VIOLATION,
        ERROR_CODES.FOREIGN_KEY_VIOLATION,
        ERROR_CODES.UNIQUE_VIOLATION,
        ERROR_CODES.NOT_FOUND,
        ERROR_CODES.INVALID_OFFSET,
        ERROR_CODES.DATABASE_ERROR,
        ERROR_CODES.INVALID_SIZE,
        ERROR_CODES.INVALID_UNIQUE,
        ERROR_CODES.INVALID_OPTIONS,
        ERROR_CODES.OPERATION_UNSUPPORTED,
        ERROR_CODES.FOREIGN_KEYS_UNRESOLVED,
        ERROR_CODES.DECLARATIVE_CONFIG,
        ERROR_CODES.TRANSFORMATION_ERROR,
        ERROR_CODES.REFERENCED_BY_OTHERS,
      ],
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19],
    )
  })

  it('names', () => {
    const names: [DaoError, string][] = [
      [errors.invalidPrimaryKey({ id: 'expected a valid UUID' }), 'invalid primary key'],
      [errors.schemaViolation({ a: 'x' }), 'schema violation'],
      [errors.primaryKeyViolation({ id: UUID }), 'primary key violation'],
      [
        errors.foreignKeyViolationInvalidReference({ id: UUID }, 'service', 'services'),
        'foreign key violation',
      ],
      [errors.foreignKeyViolationRestricted('services', 'routes'), 'foreign key violation'],
      [errors.uniqueViolation({ name: 'foo' }), 'unique constraint violation'],
      [errors.notFound({ id: UUID }), 'not found'],
      [errors.invalidOffset('x', 'bad base64 encoding'), 'invalid offset'],
      [errors.databaseError('boom'), 'database error'],
      [errors.invalidSize('size must be a number'), 'invalid size'],
      [errors.invalidUnique('name', 'bad'), 'invalid unique name'],
      [errors.invalidOptions({ tags: 'invalid filter syntax' }), 'invalid options'],
      [errors.operationUnsupported('x'), 'operation unsupported'],
      [
        errors.foreignKeysUnresolved({ service: { name: { value: 'x', parent: 'services' } } }),
        'foreign keys unresolved',
      ],
      [errors.referencedByOthers('x'), 'referenced by others'],
    ]
    for (const [err, name] of names) assert.equal(wire(err).name, name, name)
  })
})

describe('error bodies (§5.2 typical messages)', () => {
  it('1 invalid primary key', () => {
    assert.deepEqual(wire(errors.invalidPrimaryKey({ id: 'expected a valid UUID' })), {
      code: 1,
      name: 'invalid primary key',
      message: `invalid primary key: '{id="expected a valid UUID"}'`,
      fields: { id: 'expected a valid UUID' },
    })
  })

  it('3 primary key violation', () => {
    assert.deepEqual(wire(errors.primaryKeyViolation({ id: UUID })), {
      code: 3,
      name: 'primary key violation',
      message: `primary key violation on key '{id="${UUID}"}'`,
      fields: { id: UUID },
    })
  })

  it('4 foreign key violation (invalid reference and restricted delete)', () => {
    assert.deepEqual(wire(errors.foreignKeyViolationInvalidReference({ id: UUID }, 'service', 'services')), {
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${UUID}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id: UUID } },
    })
    assert.deepEqual(wire(errors.foreignKeyViolationRestricted('services', 'routes')), {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { '@referenced_by': 'routes' },
    })
  })

  it('5 unique violation: keys sorted, nulls printed as null, nested ids', () => {
    assert.deepEqual(wire(errors.uniqueViolation({ name: 'foo' })), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="foo"}'`,
      fields: { name: 'foo' },
    })
    const composite = errors.uniqueViolation({
      name: 'key-auth',
      route: null,
      service: { id: UUID },
      consumer: null,
    })
    assert.equal(
      composite.message,
      `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service={id="${UUID}"}}'`,
    )
    assert.deepEqual(wire(composite).fields, {
      name: 'key-auth',
      route: null,
      service: { id: UUID },
      consumer: null,
    })
  })

  it('6 not found, by primary key or by field', () => {
    assert.deepEqual(wire(errors.notFound({ id: UUID })), {
      code: 6,
      name: 'not found',
      message: `could not find the entity with primary key '{id="${UUID}"}'`,
      fields: { id: UUID },
    })
    assert.deepEqual(wire(errors.notFoundByField({ name: 'foo' })), {
      code: 6,
      name: 'not found',
      message: `could not find the entity with '{name="foo"}'`,
      fields: { name: 'foo' },
    })
  })

  it('7 invalid offset has no fields', () => {
    assert.deepEqual(wire(errors.invalidOffset('x', 'bad base64 encoding')), {
      code: 7,
      name: 'invalid offset',
      message: "'x' is not a valid offset: bad base64 encoding",
    })
  })

  it('9 invalid size', () => {
    assert.deepEqual(wire(errors.invalidSize('size must be a number')), {
      code: 9,
      name: 'invalid size',
      message: 'size must be a number',
    })
  })

  it('10 invalid unique <field>: message is the validation error, no fields', () => {
    assert.deepEqual(wire(errors.invalidUnique('name', 'invalid value')), {
      code: 10,
      name: 'invalid unique name',
      message: 'invalid value',
    })
  })

  it('11 invalid options uses the `options` key', () => {
    assert.deepEqual(wire(errors.invalidOptions({ tags: 'invalid filter syntax' })), {
      code: 11,
      name: 'invalid options',
      message: 'invalid option (tags: invalid filter syntax)',
      options: { tags: 'invalid filter syntax' },
    })
  })

  it('12 operation unsupported', () => {
    assert.deepEqual(
      wire(errors.operationUnsupported("cannot create 'routes' entities when not using a database")),
      {
        code: 12,
        name: 'operation unsupported',
        message: "cannot create 'routes' entities when not using a database",
      },
    )
  })

  it('13 foreign keys unresolved', () => {
    assert.deepEqual(
      wire(errors.foreignKeysUnresolved({ service: { name: { value: 'x', parent: 'services' } } })),
      {
        code: 13,
        name: 'foreign keys unresolved',
        message:
          "foreign key unresolved (service.name: the foreign key cannot be resolved with '{name=\"x\"}' for an existing 'services' entity)",
        fields: {
          service: {
            name: "the foreign key cannot be resolved with '{name=\"x\"}' for an existing 'services' entity",
          },
        },
      },
    )
  })

  it('19 referenced by others has no fields', () => {
    assert.deepEqual(
      wire(errors.referencedByOthers(`ca certificate ${UUID} is still referenced by services (id = x)`)),
      {
        code: 19,
        name: 'referenced by others',
        message: `ca certificate ${UUID} is still referenced by services (id = x)`,
      },
    )
  })

  it('is an Error with the message', () => {
    const e = errors.uniqueViolation({ name: 'foo' })
    assert.ok(e instanceof Error)
    assert.equal(e.message, `UNIQUE violation detected on '{name="foo"}'`)
  })
})

describe('schema violation message construction (§5.1)', () => {
  it('exactly one item: schema violation (<item>)', () => {
    assert.equal(
      errors.schemaViolation({ host: 'required field missing' }).message,
      'schema violation (host: required field missing)',
    )
  })

  it('the example of §5.1', () => {
    assert.deepEqual(
      wire(
        errors.schemaViolation({ host: 'required field missing', connect_timeout: 'expected an integer' }),
      ),
      {
        code: 2,
        name: 'schema violation',
        message: '2 schema violations (connect_timeout: expected an integer; host: required field missing)',
        fields: { connect_timeout: 'expected an integer', host: 'required field missing' },
      },
    )
  })

  it("Kong's 7-violation example", () => {
    const fields = {
      foo: 'expected an integer',
      bar: 'length must be 5',
      baz: 'unknown field',
      '@entity': [
        'at least one of plim or plum is needed',
        'the check function errored out',
        'an extra error',
      ],
      external_entity: { id: 'missing primary key' },
    }
    assert.deepEqual(wire(errors.schemaViolation(fields)), {
      code: 2,
      name: 'schema violation',
      message:
        '7 schema violations (at least one of plim or plum is needed; the check function errored out; an extra error; ' +
        'bar: length must be 5; baz: unknown field; external_entity.id: missing primary key; foo: expected an integer)',
      fields,
    })
  })

  it('@entity messages first, in order, then fields in lexicographic order', () => {
    assert.deepEqual(summarize({ z: 'last', a: 'first', '@entity': ['e1', 'e2'] }), [
      'e1',
      'e2',
      'a: first',
      'z: last',
    ])
  })

  it('nested records: <field>.<subfield>, subfields sorted', () => {
    assert.deepEqual(summarize({ config: { b: 'x', a: 'y' } }), ['config.a: y', 'config.b: x'])
  })

  it('arrays: <field>.<1-based index>, valid elements skipped', () => {
    assert.deepEqual(summarize({ paths: [null, 'bad', null, 'worse'] }), ['paths.2: bad', 'paths.4: worse'])
  })

  it('index order is numeric', () => {
    const list: (string | null)[] = new Array(11).fill(null)
    list[1] = 'two'
    list[10] = 'eleven'
    assert.deepEqual(summarize({ hosts: list }), ['hosts.2: two', 'hosts.11: eleven'])
  })

  it('deeper levels are rendered as Lua tables', () => {
    assert.deepEqual(summarize({ healthchecks: { active: { timeout: 'x' } } }), [
      'healthchecks.active: {\n  timeout = "x"\n}',
    ])
  })

  it('an @entity-only error is a single item', () => {
    assert.equal(
      errors.schemaViolation({
        '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
      }).message,
      "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
    )
  })
})
