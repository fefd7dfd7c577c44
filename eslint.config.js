import neostandard from 'neostandard'
import { importX } from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', 'tap-snapshots/**', 'examples/generated/**', 'test/prisma7/generated/**'] }),
  // The plugin's source has no import cycle: data flows one way (routes -> service -> store), and
  // a module that needs a value of another's imports it from where it is defined.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { ...importX.flatConfigs.typescript.settings, 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] }
  }
]
