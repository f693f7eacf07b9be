/** Where the real test services live (override with TEST_DATABASE_URL / TEST_REDIS_URL). */
export const TEST_PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_ENCRYPTION_KEY = 'dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0='; // 32 bytes, base64
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
