import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import nx from '@nx/eslint-plugin';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'tmp/**', '.nx/**', 'coverage/**', 'apps/*/dist/**', 'libs/sdk/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // The walls between contexts (STYLE.md): a project reaches another only through its
    // `@steward/<name>` entry point; services import no service, shared libs no context.
    files: ['libs/**/*.ts', 'services/**/*.ts', 'apps/**/*.ts', 'apps/**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: false,
          banTransitiveDependencies: false,
          checkDynamicDependenciesExceptions: [],
          depConstraints: [
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:context', 'type:shared'] },
            { sourceTag: 'type:context', onlyDependOnLibsWithTags: ['type:context', 'type:shared'] },
            { sourceTag: 'type:shared', onlyDependOnLibsWithTags: ['type:shared'] },
            // the web console runs in a browser and talks to Steward only over HTTP, through the client generated
            // into its own folder: it may import no Steward project at all
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    // libs/sdk is also published alone (npm pack → @steward/sdk): what it ships imports no other Steward
    // project; its specs may (contracts.spec.ts checks the inlined contracts against libs/contracts)
    files: ['libs/sdk/src/**/*.ts', 'libs/sdk/test/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@steward/*'], message: '@steward/sdk installs alone: copy the piece into libs/sdk/src/contracts.ts (contracts.spec.ts checks it)' }] },
      ],
    },
  },
  {
    files: ['apps/console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['tools/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts', '**/*.child.ts', '**/*.cjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // CommonJS scripts (configs, small tools run by plain node) require().
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
