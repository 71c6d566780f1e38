const { check } = require('./check.cjs');

check(require('@aura/core'), process.argv[2] ?? 'require', process.argv[3] ?? 'node').catch(
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
