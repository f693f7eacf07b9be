// Preloaded into a gateway process (node --require): when it exits, writes the CommonJS modules it
// loaded (ESM imports of CommonJS packages land in the same cache) to LOADED_MODULES_FILE, one per line.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  if (process.env.LOADED_MODULES_FILE) writeFileSync(process.env.LOADED_MODULES_FILE, Object.keys(require.cache).join('\n'));
});
