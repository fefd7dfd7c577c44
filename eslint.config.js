import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', 'tap-snapshots/**', 'examples/generated/**', 'test/prisma7/generated/**'] })
]
