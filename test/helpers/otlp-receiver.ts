import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST an OTLP exporter made. */
export interface OtlpExport {
  path: string;
  contentType: string;
  body: Buffer;
}

/** A span as an OTLP/JSON export carries it, with its attributes flattened to plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  startNs: bigint;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string;
  exports: OtlpExport[];
  /** Every span of every OTLP/JSON export received so far. */
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

function attributes(list: { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}

/** A tiny OTLP/HTTP collector: accepts every export (200) and keeps it for the test to read. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: OtlpExport[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans: () =>
      exports
        .filter((e) => e.contentType.startsWith('application/json'))
        .flatMap((e) => {
          const req = JSON.parse(e.body.toString('utf8')) as { resourceSpans?: any[] };
          return (req.resourceSpans ?? []).flatMap((rs) =>
            (rs.scopeSpans ?? []).flatMap((ss: any) =>
              (ss.spans ?? []).map(
                (s: any): ReceivedSpan => ({
                  traceId: s.traceId,
                  spanId: s.spanId,
                  parentSpanId: s.parentSpanId ?? '',
                  name: s.name,
                  kind: s.kind,
                  startNs: BigInt(s.startTimeUnixNano),
                  attributes: attributes(s.attributes),
                  events: (s.events ?? []).map((ev: any) => ({ name: ev.name, attributes: attributes(ev.attributes) })),
                  status: { code: s.status?.code ?? 0, message: s.status?.message },
                  resource: attributes(rs.resource?.attributes),
                }),
              ),
            ),
          );
        }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
