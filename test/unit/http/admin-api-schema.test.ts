import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADMIN_API_SCHEMA_PATH, adminApiJsonSchema } from '../../../scripts/admin-api-schema.js';

describe('config-schema/admin-api.schema.json', () => {
  it('is what src/sdk/admin-api generates (run `npm run schema:admin` after changing a body schema)', () => {
    expect(readFileSync(ADMIN_API_SCHEMA_PATH, 'utf8')).toBe(adminApiJsonSchema());
  });
});
