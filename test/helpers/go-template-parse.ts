/**
 * The parser of Go's text/template as Helm uses it, for test/helpers/helm-template.ts: actions with
 * `{{-`/`-}}` trimming, comments, pipelines, variables, if / else if / range / with / define and
 * `template`. An unknown function is a parse error, as in Go.
 */

export type Value = unknown;
export interface Scope {
  dot: Value;
  vars: Map<string, Value>[];
}

export type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with'; pipe: Pipe; body: Node[]; else: Node[] }
  | { t: 'range'; pipe: Pipe; body: Node[]; else: Node[] }
  | { t: 'template'; name: string; pipe?: Pipe };
export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Arg[][];
}
export type Arg =
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

export function parse(src: string, name: string, fns: Set<string>, defines: Map<string, Node[]>): Node[] {
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
