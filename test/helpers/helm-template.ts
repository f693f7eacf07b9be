import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { parse, TemplateError, type Arg, type Node, type Pipe, type Scope, type Value } from './go-template-parse.js';

export { TemplateError };

/**
 * `helm template` for the test suite, which has no helm binary: Go's text/template language as
 * Helm uses it (actions with `{{-`/`-}}` trimming, comments, pipelines, variables, if / else if /
 * range / with / define, `template`) and the Sprig and Helm functions the chart in deploy/helm
 * uses. Like Helm, a missing map key is empty, a field of a missing value is an error, and an
 * unknown function fails the parse. Rendering the chart here catches template and schema
 * mistakes; keep the chart to what this file understands (it throws on anything else).
 */

function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function print(v: Value): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    if (Array.isArray(v)) return `[${v.map(print).join(' ')}]`;
    return `map[${Object.entries(v as object)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => `${k}:${print(x)}`)
      .join(' ')}]`;
  }
  return String(v);
}

function toInt(v: Value): number {
  const n = typeof v === 'string' ? Number.parseFloat(v) : Number(v ?? 0);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function sprintf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*\d*(?:\.\d+)?)([sdvqf%])/g, (_, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    switch (verb) {
      case 'd':
        return String(toInt(a));
      case 'q':
        return JSON.stringify(print(a));
      case 'f':
        return String(Number(a));
      default:
        return print(a);
    }
  });
}

export interface Chart {
  name: string;
  version: string;
  appVersion: string;
  templates: Array<{ name: string; src: string }>;
  values: Record<string, unknown>;
}

export function loadChart(dir: string): Chart {
  const meta = parseYaml(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };
  const tdir = join(dir, 'templates');
  const templates = readdirSync(tdir)
    .filter((f) => /\.(ya?ml|tpl)$/.test(f))
    .sort()
    .map((f) => ({ name: `${meta.name}/templates/${f}`, src: readFileSync(join(tdir, f), 'utf8') }));
  return { ...meta, templates, values: parseYaml(readFileSync(join(dir, 'values.yaml'), 'utf8')) as Record<string, unknown> };
}

/** Helm's value merge: maps merge deeply, anything else replaces; null deletes a default. */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v === null) delete out[k];
    else if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) out[k] = mergeValues(b as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

export interface RenderOptions {
  values?: Record<string, unknown>;
  releaseName?: string;
  namespace?: string;
  isUpgrade?: boolean;
}

/** Renders every template of the chart; returns the manifests (YAML documents), like `helm template`. */
export function renderChart(chart: Chart, opts: RenderOptions = {}): Array<Record<string, any>> {
  const defines = new Map<string, Node[]>();
  const fns: Record<string, (...a: Value[]) => Value> = {
    include: (name, dot) => exec(defines.get(String(name)) ?? fail(`no template "${name}"`), { dot, vars: [new Map([['$', dot]])] }),
    required: (msg, v) => (v === null || v === undefined || v === '' ? fail(String(msg)) : v),
    fail: (msg) => fail(String(msg)),
    default: (d, v) => (truthy(v) ? v : d),
    empty: (v) => !truthy(v),
    quote: (...a) => a.map((v) => JSON.stringify(print(v))).join(' '),
    toYaml: (v) => (v === null || v === undefined ? 'null' : stringify(v, { lineWidth: 0 }).replace(/\n$/, '')),
    toString: (v: Value) => print(v),
    indent: (n, s) => String(s).split('\n').map((l) => ' '.repeat(toInt(n)) + l).join('\n'),
    nindent: (n, s) => `\n${String(s).split('\n').map((l) => ' '.repeat(toInt(n)) + l).join('\n')}`,
    trunc: (n, s) => String(s).slice(0, toInt(n)),
    trimSuffix: (suf, s) => (String(s).endsWith(String(suf)) ? String(s).slice(0, -String(suf).length) : String(s)),
    printf: (f, ...a) => sprintf(String(f), a),
    print: (...a) => a.map(print).join(''),
    int: (v) => toInt(v),
    add: (...a) => a.reduce<number>((s, v) => s + toInt(v), 0),
    sub: (a, b) => toInt(a) - toInt(b),
    mul: (...a) => a.reduce<number>((s, v) => s * toInt(v), 1),
    div: (a, b) => Math.trunc(toInt(a) / toInt(b)),
    max: (...a) => Math.max(...a.map(toInt)),
    eq: (a, ...b) => b.some((x) => x === a),
    ne: (a, b) => a !== b,
    lt: (a, b) => Number(a) < Number(b),
    gt: (a, b) => Number(a) > Number(b),
    not: (v) => !truthy(v),
    ternary: (whenTrue, whenFalse, cond) => (truthy(cond) ? whenTrue : whenFalse),
    and: (...a) => a.find((v) => !truthy(v)) ?? a.at(-1),
    or: (...a) => a.find((v) => truthy(v)) ?? a.at(-1),
    hasKey: (m, k) => Boolean(m && typeof m === 'object' && Object.hasOwn(m, String(k))),
    b64enc: (s) => Buffer.from(String(s)).toString('base64'),
    sha256sum: (s) => createHash('sha256').update(String(s)).digest('hex'),
  };
  const fail = (msg: string): never => {
    throw new TemplateError(msg);
  };
  const fnNames = new Set(Object.keys(fns));

  const lookup = (scope: Scope, a: Extract<Arg, { k: 'field' }>): Value => {
    let v: Value;
    if (a.base === 'dot') v = scope.dot;
    else {
      const frame = [...scope.vars].reverse().find((f) => f.has(a.base));
      if (!frame) fail(`undefined variable ${a.base}`);
      v = frame!.get(a.base);
    }
    for (const [i, key] of a.path.entries()) {
      if (v === null || v === undefined || typeof v !== 'object') fail(`nil pointer evaluating .${a.path.slice(0, i + 1).join('.')}`);
      v = (v as Record<string, Value>)[key];
    }
    return v;
  };

  const evalArg = (scope: Scope, a: Arg): Value => {
    if (a.k === 'lit') return a.v;
    if (a.k === 'field') return lookup(scope, a);
    if (a.k === 'sub') return evalPipe(scope, a.pipe);
    return fns[a.name]!();
  };

  const evalPipe = (scope: Scope, pipe: Pipe): Value => {
    let result: Value;
    pipe.cmds.forEach((cmd, i) => {
      const [head, ...rest] = cmd;
      const piped = i > 0 ? [result] : [];
      if (head!.k === 'fn') result = fns[head!.name]!(...rest.map((r) => evalArg(scope, r)), ...piped);
      else {
        if (rest.length || piped.length) fail(`${print(head)} is not a function`);
        result = evalArg(scope, head!);
      }
    });
    if (pipe.decl.length === 1) {
      const name = pipe.decl[0]!;
      const frame = pipe.assign ? [...scope.vars].reverse().find((f) => f.has(name)) : scope.vars.at(-1);
      if (!frame) fail(`undefined variable ${name}`);
      frame!.set(name, result);
    }
    return result;
  };

  const exec = (nodes: Node[], scope: Scope): string => {
    let out = '';
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          out += n.text;
          break;
        case 'action': {
          const v = evalPipe(scope, n.pipe);
          if (!n.pipe.decl.length) out += print(v);
          break;
        }
        case 'template':
          out += exec(defines.get(n.name) ?? fail(`no template "${n.name}"`), { dot: n.pipe ? evalPipe(scope, n.pipe) : null, vars: [scope.vars[0]!] });
          break;
        case 'if': {
          const inner: Scope = { dot: scope.dot, vars: [...scope.vars, new Map()] };
          out += truthy(evalPipe(inner, n.pipe)) ? exec(n.body, inner) : exec(n.else, inner);
          break;
        }
        case 'with': {
          const inner: Scope = { dot: scope.dot, vars: [...scope.vars, new Map()] };
          const v = evalPipe(inner, n.pipe);
          out += truthy(v) ? exec(n.body, { dot: v, vars: inner.vars }) : exec(n.else, inner);
          break;
        }
        case 'range': {
          const inner: Scope = { dot: scope.dot, vars: [...scope.vars, new Map()] };
          const decl = n.pipe.decl;
          const v = evalPipe({ ...inner }, { ...n.pipe, decl: [] });
          const entries: Array<[Value, Value]> = Array.isArray(v)
            ? v.map((x, i) => [i, x])
            : v && typeof v === 'object'
              ? Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b))
              : typeof v === 'number'
                ? Array.from({ length: v }, (_, i) => [i, i])
                : [];
          if (!entries.length) out += exec(n.else, inner);
          for (const [k, x] of entries) {
            const frame = new Map<string, Value>();
            if (decl.length === 1) frame.set(decl[0]!, x);
            if (decl.length === 2) {
              frame.set(decl[0]!, k);
              frame.set(decl[1]!, x);
            }
            out += exec(n.body, { dot: x, vars: [...inner.vars, frame] });
          }
          break;
        }
      }
    }
    return out;
  };

  const parsed = chart.templates.map((t) => ({ name: t.name, nodes: parse(t.src, t.name, fnNames, defines) }));
  const values = mergeValues(chart.values, opts.values ?? {});
  const root = {
    Values: values,
    Release: { Name: opts.releaseName ?? 'tollgate', Namespace: opts.namespace ?? 'default', Service: 'Helm', IsInstall: !opts.isUpgrade, IsUpgrade: Boolean(opts.isUpgrade), Revision: 1 },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Capabilities: { KubeVersion: { Version: 'v1.30.0', Major: '1', Minor: '30' } },
  };
  const docs: Array<Record<string, any>> = [];
  for (const t of parsed) {
    if (t.name.split('/').pop()!.startsWith('_')) continue;
    let text: string;
    try {
      text = exec(t.nodes, { dot: { ...root, Template: { Name: t.name } }, vars: [new Map([['$', { ...root, Template: { Name: t.name } }]])] });
    } catch (err) {
      throw new TemplateError(`${t.name}: ${(err as Error).message}`);
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw new TemplateError(`${t.name}: the rendered YAML does not parse: ${doc.errors[0]!.message}\n${text}`);
      const obj = doc.toJS() as Record<string, any> | null;
      if (obj) docs.push(obj);
    }
  }
  return docs;
}
