import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeCsv, type CsvColumn } from '../../src/http/admin/csv.js';
import { signIn } from '../helpers/admin-session.js';
import { createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/** CSV exports of the request log, usage and an account's ledger: complete, in order, streamed with bounded memory. */
const h = useGatewayHarness();

async function download(path: string) {
  const res = await fetch(`${h.gw.url}/admin/api${path}`, { headers: { authorization: `Bearer ${h.gw.adminToken}` } });
  return { res, text: await res.text() };
}

const ROWS = 12_000;

describe('CSV exports', () => {
  it('streams every request of a large range, newest first, with spreadsheet formulas defused', async () => {
    const { user } = await createUserWithKey(h.gw, { email: 'export@example.test', credits: '1' });
    await h.db.query(
      `INSERT INTO requests (id, account_id, user_id, endpoint, model_alias, served_model, provider_id, status, error_code, error_message,
                             prompt_tokens, completion_tokens, cost, latency_ms, tags, started_at)
       SELECT 'exp-' || lpad(g::text, 6, '0'), $1, $2, '/v1/chat/completions', 'gpt-4o-mini', 'gpt-4o-mini', 'openai',
              CASE WHEN g % 100 = 0 THEN 429 ELSE 200 END, CASE WHEN g % 100 = 0 THEN 'rate_limited' END,
              CASE WHEN g % 100 = 0 THEN '=HYPERLINK("http://evil.example")' END,
              g, 2 * g, 1500 * g, 100 + g % 50, jsonb_build_object('team', 'a,"b"'), '2026-02-01T00:00:00Z'::timestamptz + make_interval(secs => g)
         FROM generate_series(1, ${ROWS}) g`,
      [user.accountId, user.id],
    );
    const { res, text } = await download(`/requests.csv?userId=${user.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="requests-\d{8}T\d{6}Z\.csv"$/);
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');

    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS + 1);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['id', 'started_at', 'user_email']);
    const at = (name: string) => header.indexOf(name);
    const first = lines[1]!;
    expect(first.startsWith(`exp-0${ROWS},2026-02-01T03:20:00.000Z,export@example.test,`)).toBe(true);
    expect(first.split(',')[at('cost_credits')]).toBe('18.000000');
    expect(first.endsWith(`,"{""team"":""a,\\""b\\""""}"`)).toBe(true);
    expect(lines.at(-1)!.startsWith('exp-000001,')).toBe(true);
    const ids = lines.slice(1).map((l) => l.slice(0, l.indexOf(',')));
    expect(new Set(ids).size).toBe(ROWS);
    expect([...ids].sort().reverse()).toEqual(ids);
    const limited = lines.find((l) => l.startsWith('exp-000100,'))!;
    expect(limited).toContain(`,429,rate_limited,"'=HYPERLINK(""http://evil.example"")",`);

    const filtered = await download(`/requests.csv?userId=${user.id}&status=429`);
    expect(filtered.text.trimEnd().split('\n')).toHaveLength(ROWS / 100 + 1);
  });

  it('exports to an account signed in with the session cookie (a GET needs no X-Requested-With); an empty bearer is refused', async () => {
    await h.gw.admin('POST', '/team', { email: 'csv@example.test', role: 'viewer', password: 'viewer password 1234' });
    const cookie = await signIn(h.gw.url, 'csv@example.test', 'viewer password 1234');
    const res = await fetch(`${h.gw.url}/admin/api/requests.csv`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^id,started_at,user_email/);
    // What the panel used to send without a token: read as a token attempt, and refused.
    expect((await fetch(`${h.gw.url}/admin/api/requests.csv`, { headers: { cookie, authorization: 'Bearer ' } })).status).toBe(401);
  });

  it('answers a bad filter with a 400 before any CSV is sent', async () => {
    const { res, text } = await download('/requests.csv?userId=not-a-uuid');
    expect(res.status).toBe(400);
    expect(JSON.parse(text).error).toMatchObject({ type: 'invalid_request_error' });
    expect((await download('/requests.csv?status=maybe')).res.status).toBe(400);
    expect((await download('/accounts/00000000-0000-0000-0000-000000000000/ledger.csv')).res.status).toBe(404);
  });

  it('exports an account’s ledger, newest first, and usage per bucket and group', async () => {
    const { accountId, user } = await createUserWithKey(h.gw, { email: 'ledger-export@example.test', credits: '10' });
    await h.gw.admin('POST', `/accounts/${accountId}/adjustments`, { amount: '-2.5', note: '-refund, duplicate' });
    const ledger = await download(`/accounts/${accountId}/ledger.csv`);
    expect(ledger.res.headers.get('content-disposition')).toContain(`ledger-${accountId}-`);
    const rows = ledger.text.trimEnd().split('\n');
    expect(rows[0]).toBe('id,created_at,kind,amount_credits,request_id,note,actor');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^\d+,[^,]+,adjustment,-2\.500000,,"'-refund, duplicate",admin token$/);
    expect(rows[2]).toMatch(/^\d+,[^,]+,grant,10\.000000,,initial credits,admin token$/);

    await h.db.query(
      `INSERT INTO requests (id, account_id, user_id, endpoint, model_alias, served_model, provider_id, status, prompt_tokens, completion_tokens, cost, started_at)
       VALUES ('use-1', $1, $2, '/v1/chat/completions', 'm1', 'm1', 'openai', 200, 10, 20, 3000000, '2026-03-01T01:10:00Z'),
              ('use-2', $1, $2, '/v1/chat/completions', 'm1', 'm1', 'openai', 500, 5, 0, 0, '2026-03-01T01:20:00Z'),
              ('use-3', $1, $2, '/v1/chat/completions', 'm2', 'm2', 'anthropic', 200, 1, 1, 1, '2026-03-01T03:00:00Z')`,
      [accountId, user.id],
    );
    const usage = await download(`/stats/usage.csv?from=2026-03-01T00:00:00Z&to=2026-03-01T06:00:00Z&bucket=hour&groupBy=model&userId=${user.id}`);
    expect(usage.res.headers.get('content-disposition')).toBe('attachment; filename="usage-by-model-20260301T000000Z-20260301T060000Z.csv"');
    expect(usage.text.trimEnd().split('\n')).toEqual([
      'bucket_start,group,label,requests,errors,prompt_tokens,completion_tokens,cost_credits',
      '2026-03-01T01:00:00.000Z,m1,m1,2,1,15,20,3.000000',
      '2026-03-01T03:00:00.000Z,m2,m2,1,0,1,1,0.000001',
    ]);
  });

  it('pulls the next page only when the client has taken the previous ones', async () => {
    let pulled = 0;
    async function* pages() {
      for (let p = 0; p < 200; p++) {
        pulled++;
        yield Array.from({ length: 100 }, (_, i) => ({ n: p * 100 + i, text: 'x'.repeat(40) }));
      }
    }
    const columns: CsvColumn<{ n: number; text: string }>[] = [{ header: 'n', value: (r) => r.n }, { header: 'text', value: (r) => r.text }];
    let received = 0;
    let lines = 0;
    let release: (() => void) | undefined;
    const held: (() => void)[] = [];
    // A client that reads nothing until told to: each write waits until released.
    const slowClient = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        received += chunk.length;
        lines += chunk.toString().split('\n').length - 1;
        if (release) done();
        else held.push(done);
      },
    });
    const done = writeCsv(slowClient, columns, pages());
    await waitFor(() => held.length > 0, { what: 'the first write to reach the client' });
    // The pipeline fills its small buffers and then stops pulling pages: backpressure reaches the
    // client's stream, and the count of pages pulled stays put over many turns of the event loop.
    await waitFor(() => slowClient.writableNeedDrain, { what: 'backpressure at the client' });
    for (let before = -1; before !== pulled; ) {
      before = pulled;
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    }
    expect(pulled).toBeLessThan(10);
    expect(received).toBeGreaterThan(0);
    release = () => undefined;
    held.splice(0).forEach((d) => d());
    await done;
    expect(pulled).toBe(200);
    expect(lines).toBe(20_001);
  });
});
