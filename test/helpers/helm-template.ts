import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';

/**
 * `helm template` for the test suite, which has no helm binary: Go's text/template language as
 * Helm uses it (actions with `{{-`/`-}}` trimming, comments, pipelines, variables, if / else if /
 * range / with / define, `template`) and the Sprig and Helm functions the chart in deploy/helm
 * uses. Like Helm, a missing map key is empty, a field of a missing value is an error, and an
 * unknown function fails the parse. Rendering the chart here catches template and schema
 * mistakes; keep the chart to what this file understands (it throws on anything else).
 */

type Value = unknown;
interface Scope {
  dot: Value;
  vars: Map<string, Value>[];
}

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with'; pipe: Pipe; body: Node[]; else: Node[] }
  | { t: 'range'; pipe: Pipe; body: Node[]; else: Node[] }
  | { t: 'template'; name: string; pipe?: Pipe };
interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Arg[][];
}
type Arg =
  | { k: 'lit'; v: Value }
  | { k: 'field'; base: 'dot' | string; path: string[] }
  | { k: 'fn'; name: string }
  | { k: 'sub'; pipe: Pipe };

export class TemplateError extends Error {}

// ---- lexing -----------------------------------------------------------------------------------

interface Piece {
  text?: string;
  action?: string;
}

function split(src: string, name: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start++;
    }
    out.push({ text });
    // Find the closing braces outside string literals.
    let j = start;
    let quote: string | undefined;
    for (; j < src.length; j++) {
      const c = src[j]!;
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === '`') quote = c;
      else if (src.startsWith('}}', j)) break;
    }
    if (j >= src.length) throw new TemplateError(`${name}: unclosed action`);
    let body = src.slice(start, j);
    i = j + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      while (i < src.length && /\s/.test(src[i]!)) i++;
    }
    body = body.trim();
    if (!(body.startsWith('/*') && body.endsWith('*/'))) out.push({ action: body });
  }
  return out;
}

type Tok = { k: 'str' | 'num' | 'id' | 'field' | 'var' | 'punct'; v: string };

function tokenize(s: string, where: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)|(\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(\.[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|([A-Za-z_][A-Za-z0-9_]*)|(:=|=|\||\(|\)|,))/y;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(s))) {
    last = re.lastIndex;
    if (m[1]) toks.push({ k: 'str', v: JSON.parse(m[1]) as string });
    else if (m[2]) toks.push({ k: 'str', v: m[2].slice(1, -1) });
    else if (m[3]) toks.push({ k: 'num', v: m[3] });
    else if (m[4]) toks.push({ k: 'var', v: m[4] });
    else if (m[5]) toks.push({ k: 'field', v: m[5] });
    else if (m[6]) toks.push({ k: 'id', v: m[6] });
    else toks.push({ k: 'punct', v: m[7]! });
    if (last >= s.length) break;
  }
  if (s.slice(last).trim()) throw new TemplateError(`${where}: cannot read "${s.slice(last)}" in {{ ${s} }}`);
  return toks;
}

// ---- parsing ----------------------------------------------------------------------------------

function parsePipe(toks: Tok[], where: string, fns: Set<string>): Pipe {
  let pos = 0;
  const pipe: Pipe = { decl: [], assign: false, cmds: [] };
  // `$a := …`, `$a, $b := …` (range), `$a = …`
  const declEnd = toks.findIndex((t) => t.k === 'punct' && (t.v === ':=' || t.v === '='));
  if (declEnd > 0 && toks.slice(0, declEnd).every((t) => t.k === 'var' || (t.k === 'punct' && t.v === ','))) {
    pipe.decl = toks.slice(0, declEnd).filter((t) => t.k === 'var').map((t) => t.v);
    pipe.assign = toks[declEnd]!.v === '=';
    pos = declEnd + 1;
  }
  const operand = (): Arg => {
    const t = toks[pos++];
    if (!t) throw new TemplateError(`${where}: missing operand`);
    switch (t.k) {
      case 'str':
        return { k: 'lit', v: t.v };
      case 'num':
        return { k: 'lit', v: Number(t.v) };
      case 'field':
        return { k: 'field', base: 'dot', path: t.v === '.' ? [] : t.v.slice(1).split('.') };
      case 'var': {
        const [name, ...path] = t.v.split('.');
        return { k: 'field', base: name!, path };
      }
      case 'id':
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
        if (t.v === 'nil') return { k: 'lit', v: null };
        if (!fns.has(t.v)) throw new TemplateError(`${where}: function "${t.v}" not defined`);
        return { k: 'fn', name: t.v };
      case 'punct':
        if (t.v === '(') {
          let depth = 1;
          const start = pos;
          while (pos < toks.length && depth) {
            if (toks[pos]!.v === '(' && toks[pos]!.k === 'punct') depth++;
            if (toks[pos]!.v === ')' && toks[pos]!.k === 'punct') depth--;
            pos++;
          }
          if (depth) throw new TemplateError(`${where}: unclosed (`);
          return { k: 'sub', pipe: parsePipe(toks.slice(start, pos - 1), where, fns) };
        }
    }
    throw new TemplateError(`${where}: unexpected "${t.v}"`);
  };
  let cmd: Arg[] = [];
  while (pos < toks.length) {
    if (toks[pos]!.k === 'punct' && toks[pos]!.v === '|') {
      pos++;
      pipe.cmds.push(cmd);
      cmd = [];
      continue;
    }
    cmd.push(operand());
  }
  pipe.cmds.push(cmd);
  if (pipe.cmds.some((c) => c.length === 0)) throw new TemplateError(`${where}: empty command in pipeline`);
  return pipe;
}

function parse(src: string, name: string, fns: Set<string>, defines: Map<string, Node[]>): Node[] {
  const pieces = split(src, name);
  const pipeOf = (s: string) => parsePipe(tokenize(s, name), name, fns);
  const END = new Set(['end']);
  const BRANCH = new Set(['end', 'else', 'else if']);
  let i = 0;
  const list = (stop: Set<string>): { nodes: Node[]; end: string; rest: string } => {
    const nodes: Node[] = [];
    while (i < pieces.length) {
      const p = pieces[i++]!;
      if (p.text !== undefined) {
        if (p.text) nodes.push({ t: 'text', text: p.text });
        continue;
      }
      const a = p.action!;
      const kw = /^(if|else if|else|end|range|with|define|template)\b\s*(.*)$/s.exec(a);
      const word = kw?.[1];
      const rest = kw?.[2] ?? '';
      if (word === 'end' || word === 'else' || word === 'else if') {
        if (!stop.has(word)) throw new TemplateError(`${name}: unexpected {{ ${a} }}`);
        return { nodes, end: word, rest };
      }
      if (word === 'if' || word === 'with' || word === 'range') nodes.push(branch(word, rest));
      else if (word === 'define') defines.set(JSON.parse(rest.trim()) as string, list(END).nodes);
      else if (word === 'template') {
        const m = /^"([^"]+)"\s*(.*)$/s.exec(rest);
        if (!m) throw new TemplateError(`${name}: bad {{ ${a} }}`);
        nodes.push({ t: 'template', name: m[1]!, pipe: m[2]!.trim() ? pipeOf(m[2]!) : undefined });
      } else nodes.push({ t: 'action', pipe: pipeOf(a) });
    }
    if (stop.size) throw new TemplateError(`${name}: missing {{ end }}`);
    return { nodes, end: '', rest: '' };
  };
  /** if / with / range up to its {{ end }}; `else if` is an if nested in the else branch, sharing that end. */
  const branch = (t: 'if' | 'with' | 'range', cond: string): Node => {
    const body = list(t === 'if' ? BRANCH : new Set(['end', 'else']));
    const elseNodes = body.end === 'else' ? list(END).nodes : body.end === 'else if' ? [branch('if', body.rest)] : [];
    return { t, pipe: pipeOf(cond), body: body.nodes, else: elseNodes };
  };
  return list(new Set()).nodes;
}

// ---- evaluation -------------------------------------------------------------------------------

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
    and: (...a) => a.find((v) => !truthy(v)) ?? a.at(-1),
    or: (...a) => a.find((v) => truthy(v)) ?? a.at(-1),
    hasKey: (m, k) => Boolean(m && typeof m === 'object' && Object.hasOwn(m, String(k))),
    b64enc: (s) => Buffer.from(String(s)).toString('base64'),
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
