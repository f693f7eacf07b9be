import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook } from '../../../src/alerts/signature.js';
import { verifyWebhook } from '../../../src/sdk/index.js';

describe('webhook signatures', () => {
  const secret = generateWebhookSecret();
  const body = JSON.stringify({ id: '7', type: 'alert.budget', data: { threshold_percent: 80 } });
  const ts = 1_764_558_000;
  const headers = { 'X-Tollgate-Timestamp': String(ts), 'x-tollgate-signature': signWebhook(secret, ts, body) };
  const now = ts * 1000 + 10_000;

  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    expect(signWebhook('s3cret', 1, 'x')).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(signWebhook('s3cret', 1, 'x')).not.toBe(signWebhook('s3cret', 2, 'x'));
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  });

  it("the SDK's verifyWebhook accepts a delivery, and refuses a changed body, another secret, an old or missing timestamp", async () => {
    expect(await verifyWebhook(secret, body, headers, { now })).toBe(true);
    expect(await verifyWebhook(secret, body, new Headers(headers), { now })).toBe(true);
    expect(await verifyWebhook(secret, body.replace('80', '81'), headers, { now })).toBe(false);
    expect(await verifyWebhook(generateWebhookSecret(), body, headers, { now })).toBe(false);
    expect(await verifyWebhook(secret, body, headers, { now: now + 600_000 })).toBe(false);
    expect(await verifyWebhook(secret, body, { 'x-tollgate-signature': headers['x-tollgate-signature'] }, { now })).toBe(false);
    // The timestamp is signed: moving it to pass the age check breaks the signature.
    expect(await verifyWebhook(secret, body, { ...headers, 'X-Tollgate-Timestamp': String(ts + 600) }, { now: now + 600_000 })).toBe(false);
  });
});
