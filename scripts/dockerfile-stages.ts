import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the Dockerfile without Docker: parses it and replays each stage's instructions
 * (WORKDIR, ENV, COPY with and without --from, RUN) in a directory of its own standing for the
 * stage's filesystem, then describes the final stage so it can be run as its USER. Used by
 * test/integration/dockerfile.test.ts to prove the image's layout on a machine with no Docker
 * daemon, and by hand: `npx tsx scripts/dockerfile-stages.ts` prints the final layout's size.
 *
 * What is mapped: an absolute path of the image (/app, /data) is the same path under the stage's
 * directory, in instructions and in RUN commands alike; the base image's `node` user (uid and gid
 * 1000 in the official node images) is its numeric id; npm reads the local cache first.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export interface BuiltStage {
  name: string;
  base: string;
  /** The stage's filesystem root on this machine. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string;
  cmd: string[];
  healthcheck?: { options: string; cmd: string };
  expose: string[];
  stopSignal?: string;
}

/** The base images' users that a stage may name, as numeric ids (the official node images' `node`). */
const KNOWN_USERS: Record<string, string> = { node: '1000', root: '0' };

export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile: cannot read "${line}"`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile: cannot read FROM ${args}`);
      stages.push({ base: f[1]!, name: f[2] ?? String(stages.length), instructions: [] });
    } else {
      if (!stages.length) throw new Error(`Dockerfile: ${op} before FROM`);
      stages.at(-1)!.instructions.push({ op, args });
    }
  }
  return stages;
}

/** `a b c` or the JSON form `["a", "b"]`. */
function words(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/).filter(Boolean);
}

function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  let m: RegExpExecArray | null;
  let found = false;
  while ((m = re.exec(args))) {
    found = true;
    out[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  }
  if (!found) {
    const [k, ...v] = args.split(/\s+/);
    out[k!] = v.join(' ');
  }
  return out;
}

/** Patterns of .dockerignore: a path, a folder, or a `*` glob on a path or a file name. */
function ignoreMatcher(context: string): (rel: string) => boolean {
  const file = join(context, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : [];
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`));
  return (rel) => res.some((re) => re.test(rel) || re.test(basename(rel)));
}

function copyInto(from: string, to: string, filter?: (src: string) => boolean): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, filter, dereference: true });
}

/** Rewrites the image's absolute paths (/app, /data, …) in a RUN command to the stage's directory. */
function mapCommand(cmd: string, root: string, imagePaths: string[]): string {
  let out = cmd;
  for (const p of imagePaths) out = out.replace(new RegExp(`(^|[\\s=:'"])${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s/'";&|])`, 'g'), `$1${root}${p}`);
  for (const [user, id] of Object.entries(KNOWN_USERS)) out = out.replace(new RegExp(`\\bchown\\s+(-R\\s+)?${user}:${user}\\b`, 'g'), `chown $1${id}:${id}`);
  return out;
}

export interface BuildOptions {
  dockerfile?: string;
  context?: string;
  /** Where the stages' directories go (default: a new temporary directory). */
  outDir?: string;
  /** Build this stage (default: the last, as `docker build` does)… */
  target?: string;
  /** …and these too (stages they share with the target are built once). */
  alsoBuild?: string[];
  log?: (line: string) => void;
}

export function buildStages(opts: BuildOptions = {}): BuiltStage[] {
  const context = opts.context ?? ROOT;
  const stages = parseDockerfile(readFileSync(opts.dockerfile ?? join(context, 'Dockerfile'), 'utf8'));
  const indexOf = (name: string) => {
    const i = stages.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`Dockerfile: no stage ${name}`);
    return i;
  };
  const targets = [opts.target ? indexOf(opts.target) : stages.length - 1, ...(opts.alsoBuild ?? []).map(indexOf)];
  const needed = new Set(targets.flatMap((t) => [...neededStages(stages, t)]));
  const last = Math.max(...targets);
  const outDir = opts.outDir ?? mkdtempSync(join(tmpdir(), 'tollgate-image-'));
  chmodSync(outDir, 0o755);
  const ignored = ignoreMatcher(context);
  const built: BuiltStage[] = [];
  for (const [i, stage] of stages.slice(0, last + 1).entries()) {
    if (!needed.has(i)) continue;
    const root = join(outDir, `${i}-${stage.name}`);
    mkdirSync(root, { recursive: true, mode: 0o755 });
    // FROM an earlier stage starts from its filesystem and settings.
    const parent = built.find((b) => b.name === stage.base);
    if (parent) execFileSync('cp', ['-a', `${parent.root}/.`, root]);
    const s: BuiltStage = parent
      ? { ...parent, name: stage.name, root, env: { ...parent.env }, expose: [...parent.expose] }
      : { name: stage.name, base: stage.base, root, workdir: '/', env: {}, user: 'root', cmd: [], expose: [] };
    // The image's own absolute paths this stage names, mapped under its root in RUN commands.
    const imagePaths = new Set<string>([s.workdir, ...Object.values(s.env)].filter((p) => p.startsWith('/') && p !== '/'));
    const at = (p: string) => join(root, posix.isAbsolute(p) ? p : posix.join(s.workdir, p));
    for (const { op, args } of stage.instructions) {
      switch (op) {
        case 'WORKDIR':
          s.workdir = posix.resolve(s.workdir, args);
          imagePaths.add(s.workdir);
          mkdirSync(at('.'), { recursive: true });
          break;
        case 'ENV':
          for (const [k, v] of Object.entries(parseEnv(args))) {
            s.env[k] = v;
            if (v.startsWith('/')) imagePaths.add(v);
          }
          break;
        case 'COPY': {
          const parts = words(args);
          const fromFlag = parts.find((p) => p.startsWith('--from='));
          const paths = parts.filter((p) => !p.startsWith('--'));
          const dest = paths.pop()!;
          const source = fromFlag ? built.find((b) => b.name === fromFlag.slice(7)) : undefined;
          if (fromFlag && !source) throw new Error(`COPY ${args}: no earlier stage ${fromFlag.slice(7)}`);
          for (const src of paths) {
            const from = source ? join(source.root, posix.isAbsolute(src) ? src : posix.join(source.workdir, src)) : join(context, src);
            if (!existsSync(from)) throw new Error(`COPY ${args}: ${src} does not exist${source ? ` in stage ${source.name}` : ' in the build context'}`);
            const intoDir = dest.endsWith('/') || paths.length > 1;
            const to = intoDir && !statSync(from).isDirectory() ? join(at(dest), basename(src)) : at(dest);
            const filter = source ? undefined : (p: string) => !ignored(relative(context, p));
            copyInto(from, to, filter);
          }
          break;
        }
        case 'RUN': {
          const cmd = mapCommand(args, root, [...imagePaths]);
          opts.log?.(`[${stage.name}] RUN ${args}`);
          execFileSync('bash', ['-euo', 'pipefail', '-c', cmd], {
            cwd: at('.'),
            stdio: opts.log ? 'inherit' : 'pipe',
            env: { ...process.env, ...mappedEnv(s), npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
          });
          break;
        }
        case 'USER':
          s.user = args;
          break;
        case 'CMD':
          s.cmd = words(args);
          break;
        case 'EXPOSE':
          s.expose.push(...args.split(/\s+/));
          break;
        case 'STOPSIGNAL':
          s.stopSignal = args;
          break;
        case 'HEALTHCHECK': {
          const h = /^(.*?)\bCMD\s+(.*)$/.exec(args);
          if (!h) throw new Error(`HEALTHCHECK ${args}: no CMD`);
          s.healthcheck = { options: h[1]!.trim(), cmd: h[2]!.trim() };
          break;
        }
        default:
          throw new Error(`Dockerfile: ${op} is not replayed by this script; teach it first`);
      }
    }
    built.push(s);
  }
  return built;
}

/** The stages the target needs (FROM an earlier stage, COPY --from), as BuildKit builds only those. */
function neededStages(stages: Stage[], target: number): Set<number> {
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    const refs = [stages[i]!.base, ...stages[i]!.instructions.flatMap((ins) => (ins.op === 'COPY' ? [...ins.args.matchAll(/--from=(\S+)/g)].map((m) => m[1]!) : []))];
    for (const ref of refs) {
      const j = stages.findIndex((s, k) => k < i && s.name === ref);
      if (j >= 0) visit(j);
    }
  };
  visit(target);
  return needed;
}

/** A stage's ENV with the image's absolute paths mapped under its root. */
export function mappedEnv(s: BuiltStage): Record<string, string> {
  return Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, v.startsWith('/') ? join(s.root, v) : v]));
}

/** The uid a stage's USER stands for. */
export function userId(s: BuiltStage): number {
  const id = KNOWN_USERS[s.user] ?? s.user;
  if (!/^\d+$/.test(id)) throw new Error(`USER ${s.user}: unknown to this script`);
  return Number(id);
}

/**
 * Runs a command of the final stage (its CMD by default) as the stage's USER, from its WORKDIR,
 * with its ENV plus `env`. As root here, the user switch is `setpriv`; as anyone else it runs as is.
 */
export function runAsImage(s: BuiltStage, env: Record<string, string>, argv: string[] = s.cmd): ChildProcess {
  const uid = userId(s);
  const [cmd, ...rest] = argv;
  const full = process.getuid?.() === 0 && uid !== 0 ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', cmd!, ...rest] : [cmd!, ...rest];
  return spawn(full[0]!, full.slice(1), {
    cwd: join(s.root, s.workdir),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...mappedEnv(s), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Disk use of a directory, in bytes (du). */
export function diskUsage(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir]).toString().split(/\s/)[0]);
}

if (process.argv[1] && /dockerfile-stages\.(ts|js)$/.test(process.argv[1])) {
  const stages = buildStages({ log: (l) => process.stdout.write(`${l}\n`) });
  const final = stages.at(-1)!;
  const bytes = diskUsage(final.root);
  process.stdout.write(`final stage from ${final.base}: ${final.root} (${(bytes / 1e6).toFixed(1)} MB on top of the base image), USER ${final.user}, CMD ${final.cmd.join(' ')}\n`);
}
