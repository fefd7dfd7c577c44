import { randomUUID } from 'node:crypto'
import t from 'tap'
import { runDialectTests } from '../../src/testing/index.js'
import type { UserId } from '../../src/index.js'
import { openDatabase } from '../helpers/databases.js'
for (const userIdType of ['integer', 'string'] as const) {
  t.test(`mysql ${userIdType}`, async (t) => {
    const db = await openDatabase('mysql', 'probe', { userIdType, driver: true })
    t.teardown(() => db.close())
    runDialectTests({
      test: (name, fn) => t.test(name, fn),
      dialect: 'mysql',
      prisma: db.prisma,
      driver: db.driver,
      createUser: async () => {
        const name = randomUUID()
        return (await db.prisma.user.create({ data: { username: name, firstName: '', lastName: '', token: name } })).id as UserId
      },
      users: { table: 'app_user', id: 'id', name: 'username' }
    })
  })
}
