import { readdirSync, readFileSync } from 'node:fs';
import { runLoad } from './load.js';
import { projectRoot } from '../src/paths.js';
import { OUT, startBenchEnv } from './setup.js';

/**
 * `npx tsx bench/profile.ts` — runs the non-streaming load against a gateway started with
 * --cpu-prof and prints where its CPU time goes (self time by function, and by package).
 */
process.env.BENCH_GATEWAY_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${OUT}/profile`;
const env = await startBenchEnv();
const body = JSON.stringify({ model: 'bench-model', max_tokens: 200, messages: [{ role: 'user', content: 'Benchmark request [[reply:12]]' }] });
const r = await runLoad({ url: `${env.gatewayUrl}/v1/chat/completions`, body, headers: { authorization: `Bearer ${env.key}` }, connections: 64, durationS: Number(process.env.BENCH_SECONDS ?? 10) });
process.stderr.write(`${r.rps} requests/s\n`);
await env.stop();

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
const file = readdirSync(`${OUT}/profile`).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1)!;
const prof = JSON.parse(readFileSync(`${OUT}/profile/${file}`, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
let total = 0;
for (const n of prof.nodes) {
  const t = self.get(n.id) ?? 0;
  total += t;
  const url = n.callFrame.url.replace(`file://${projectRoot}/`, '');
  const key = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.startsWith('dist/') ? 'tollgate' : url.startsWith('node:') ? 'node' : url || n.callFrame.functionName);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
}
// Inclusive time (a function and everything it calls), for the gateway's own functions.
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const inclusive = new Map<number, number>();
const incl = (id: number): number => {
  const cached = inclusive.get(id);
  if (cached !== undefined) return cached;
  const n = byId.get(id)!;
  const t = (self.get(id) ?? 0) + (n.children ?? []).reduce((s, c) => s + incl(c), 0);
  inclusive.set(id, t);
  return t;
};
const byFnIncl = new Map<string, number>();
for (const n of prof.nodes) {
  const url = n.callFrame.url.replace(`file://${projectRoot}/`, '');
  if (!url.startsWith('dist/') && !/node_modules\/(express|router|pg|undici|pino|prom-client|ajv)\//.test(url)) continue;
  const key = `${n.callFrame.functionName || '(anon)'} ${url.replace(/^.*node_modules\//, '')}:${n.callFrame.lineNumber}`;
  byFnIncl.set(key, (byFnIncl.get(key) ?? 0) + incl(n.id));
}
const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n');
process.stdout.write(`\nby package:\n${top(byPkg, 20)}\n\nby function (self):\n${top(byFn, 30)}\n\nby function (inclusive; gateway and main libraries):\n${top(byFnIncl, 45)}\n`);
