import { fetch } from 'undici';
import type { Logger } from '../observability/logger.js';
import { WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, type WebhookDelivery } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import type { SecretBox } from '../store/secrets.js';
import { signWebhook, webhookSecretContext } from './signature.js';
import { InternalTargetError, literalTargetProblem, webhookAgent } from './webhook-target.js';
import { DELIVERY_COLUMNS } from './webhook-store.js';

export interface AlertDispatcherOptions {
  intervalMs: number;
  retryBaseMs: number;
  maxAttempts: number;
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: deliver to loopback, private and link-local addresses too. */
  allowPrivate: boolean;
}

interface ClaimedDelivery {
  o_id: string;
  o_webhook_id: string;
  o_url: string;
  o_secret: string;
  o_event_type: string;
  o_payload: Record<string, unknown>;
  o_attempts: number;
}

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * Alerts and their webhooks, off the request path (docs/ARCHITECTURE.md "Alerts"): every instance,
 * every intervalMs, records the thresholds crossed since (fire_alerts: once per alert, threshold and
 * period across all instances, with one delivery queued each), then sends the due deliveries it
 * claims — signed, retried with exponential backoff and jitter, each attempt in the delivery log.
 */
export class AlertDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastPrune = 0;
  private stopped = false;
  private readonly agent;

  constructor(
    private readonly db: Queryable,
    private readonly secrets: SecretBox,
    private readonly log: Logger,
    private readonly opts: AlertDispatcherOptions,
  ) {
    this.agent = webhookAgent(opts.allowPrivate);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = undefined));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the rounds; a round in progress gets a moment to record its attempts (a delivery cut short is retried later). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.race([this.running, new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.agent.close().catch(() => undefined);
  }

  /** One round: fire what crossed, send what is due. */
  async tick(): Promise<void> {
    try {
      const { rows } = await this.db.query<{ n: number }>('SELECT fire_alerts() AS n');
      if ((rows[0]?.n ?? 0) > 0) this.log.info({ fired: rows[0]!.n }, 'alert thresholds crossed');
      for (;;) {
        const due = await this.claim(20);
        await Promise.all(due.map((d) => this.send(d)));
        if (due.length < 20 || this.stopped) break;
      }
      // The delivery log keeps 30 days of finished deliveries (checked hourly; any instance may do it).
      if (Date.now() - this.lastPrune > 3_600_000) {
        this.lastPrune = Date.now();
        await this.db.query("DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < now() - interval '30 days'");
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'alert round failed');
    }
  }

  /**
   * "Send test": queues a test event to the webhook and sends it now; returns the delivery as this
   * attempt recorded it (a retry may be claimed by any instance the moment it is due).
   */
  async sendTest(webhookId: string): Promise<WebhookDelivery | undefined> {
    const payload = { type: 'test', created_at: new Date().toISOString(), data: { message: 'A test delivery from Tollgate.' } };
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (webhook_id, event_type, payload, attempts, locked_until)
       SELECT id, 'test', $2::jsonb, 1, now() + $3 * interval '1 millisecond' FROM webhooks WHERE id = $1 RETURNING id::text`,
      [webhookId, JSON.stringify(payload), this.opts.timeoutMs * 2],
    );
    if (!rows[0]) return undefined;
    const { rows: hook } = await this.db.query<{ url: string; secret: string }>('SELECT url, secret_encrypted AS secret FROM webhooks WHERE id = $1', [webhookId]);
    if (!hook[0]) return undefined;
    return this.send({ o_id: rows[0].id, o_webhook_id: webhookId, o_url: hook[0].url, o_secret: hook[0].secret, o_event_type: 'test', o_payload: payload, o_attempts: 1 });
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    return (await this.db.query<ClaimedDelivery>('SELECT * FROM claim_webhook_deliveries($1, $2::bigint)', [limit, this.opts.timeoutMs * 2])).rows;
  }

  /** One attempt at a claimed delivery, recorded in the log; returns the delivery as recorded. */
  private async send(d: ClaimedDelivery): Promise<WebhookDelivery | undefined> {
    const result = await this.attempt(d);
    const failed = !result.ok && d.o_attempts >= this.opts.maxAttempts;
    // Exponential backoff with full jitter on the upper half: base × 2^(attempts−1), at most an hour.
    const backoff = Math.min(this.opts.retryBaseMs * 2 ** (d.o_attempts - 1), 3_600_000);
    const delay = Math.round(backoff / 2 + (Math.random() * backoff) / 2);
    const { rows } = await this.db.query<WebhookDelivery>(
      `WITH d AS (
         UPDATE webhook_deliveries SET state = $2, last_status = $3, last_error = $4, locked_until = NULL,
                delivered_at = CASE WHEN $2 = 'delivered' THEN now() END, next_attempt_at = now() + $5 * interval '1 millisecond'
          WHERE id = $1 RETURNING *)
       SELECT ${DELIVERY_COLUMNS} FROM d`,
      [d.o_id, result.ok ? 'delivered' : failed ? 'failed' : 'pending', result.status, result.error, delay],
    );
    if (!result.ok) this.log.warn({ delivery: d.o_id, webhook: d.o_webhook_id, status: result.status, err: result.error, attempt: d.o_attempts }, 'webhook delivery failed');
    return rows[0];
  }

  /** One signed POST; never throws. The secret is opened only here, and never logged. */
  private async attempt(d: ClaimedDelivery): Promise<AttemptResult> {
    let secret: string;
    try {
      secret = this.secrets.open(d.o_secret, webhookSecretContext(d.o_webhook_id));
    } catch {
      return { ok: false, status: null, error: 'the signing secret cannot be opened with ENCRYPTION_KEY' };
    }
    // An address literal is checked here; a name, by the agent as it connects (webhook-target.ts).
    const internal = this.opts.allowPrivate ? null : literalTargetProblem(d.o_url);
    if (internal) return { ok: false, status: null, error: internal };
    const body = JSON.stringify({ id: d.o_id, ...d.o_payload });
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(d.o_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tollgate-Webhooks/1',
          [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
          [WEBHOOK_EVENT_HEADER]: d.o_event_type,
          [WEBHOOK_DELIVERY_HEADER]: d.o_id,
        },
        body,
        redirect: 'manual',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? { ok: true, status: res.status, error: null } : { ok: false, status: res.status, error: `answered ${res.status}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.cause instanceof InternalTargetError) return { ok: false, status: null, error: e.cause.message };
      return { ok: false, status: null, error: e.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : (e.cause?.code ?? e.message).slice(0, 200) };
    }
  }
}
