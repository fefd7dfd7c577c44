// The dialect conformance kit (fastify-directmessages/testing) run for each of the plugin's
// dialects, on a real database migrated with the plugin's models: through the Prisma client and
// through the dialect's driver, with integer and string user ids.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { runDialectTests } from '../../src/testing/index.js'
import type { UserId } from '../../src/index.js'
import { forEachDatabase } from '../helpers/databases.js'

for (const userIdType of ['integer', 'string'] as const) {
  forEachDatabase(t, 'dialect conformance', async (t, db) => {
    runDialectTests({
      test: (name, fn) => t.test(name, fn),
      dialect: db.provider,
      prisma: db.prisma,
      driver: db.driver,
      createUser: async () => {
        const name = randomUUID()
        return (await db.prisma.user.create({ data: { username: name, firstName: '', lastName: '', token: name } })).id as UserId
      },
      users: { table: 'app_user', id: 'id', name: 'username' }
    })
  }, { userIdType, driver: true })
}
