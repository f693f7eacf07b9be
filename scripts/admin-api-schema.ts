import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { projectPath } from '../src/paths.js';
import { ADMIN_BODIES } from '../src/sdk/admin-api/index.js';

/**
 * config-schema/admin-api.schema.json is generated from the TypeBox schemas in src/sdk/admin-api
 * (the admin API's one description): `npm run schema:admin`. test/unit/http/admin-api-schema.test.ts
 * fails when the file and the source differ.
 */
export function adminApiJsonSchema(): string {
  const doc = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://tollgate.dev/schemas/admin-api.json',
    title: 'Tollgate admin API request bodies',
    description: 'Generated from src/sdk/admin-api by `npm run schema:admin`; do not edit by hand.',
    definitions: ADMIN_BODIES,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const ADMIN_API_SCHEMA_PATH = projectPath('config-schema', 'admin-api.schema.json');

// Run as a script (not imported by the drift test): write the file.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(ADMIN_API_SCHEMA_PATH, adminApiJsonSchema());
  console.log(`wrote ${ADMIN_API_SCHEMA_PATH}`);
}
