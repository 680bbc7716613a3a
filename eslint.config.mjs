// ESLint with typescript-eslint's type-checked rules: catches floating promises and unsafe `any` flows
// that the compiler lets through.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '.tools/', 'node_modules/', '.azurite/', 'eslint.config.mjs', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after'] }] },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // shared/ knows nothing of the Functions runtime or the composition root: its functions declare what they
    // need (SubmitDeps, WorkerDeps, ...) and functions/lib/services.ts passes it in. depcruise checks it too.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/functions', '**/functions/**', '**/local', '**/local/**', '**/test', '**/test/**', '**/bench', '**/bench/**', '**/chaos', '**/chaos/**'],
              message:
                'shared/ must not import functions/ (the composition root is there: declare the dependency as an interface and let functions/lib/services.ts pass it in), nor local/, test/, bench/ or chaos/, which are not deployed.',
            },
          ],
        },
      ],
    },
  },
  {
    // What is deployed (functions/, shared/) must not lean on what only runs, tests or measures it locally:
    // .funcignore leaves local/, test/, bench/ and chaos/ out of the package, so such an import breaks in Azure.
    files: ['functions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/local', '**/local/**', '**/test', '**/test/**', '**/bench', '**/bench/**', '**/chaos', '**/chaos/**'],
              message: 'functions/ and shared/ are deployed; local/, test/, bench/ and chaos/ are not. Move what both need into shared/.',
            },
          ],
        },
      ],
    },
  },
);
