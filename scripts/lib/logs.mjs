// Compact rendering of the apps' pino JSON log lines for scripts/start.mjs:
//   api      │ 06:21:35.181 INFO  worker ready port=3002 concurrency=8
import { createInterface } from 'node:readline';
import { color } from './ui.mjs';

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOR = { TRACE: color.gray, DEBUG: color.gray, INFO: color.green, WARN: color.yellow, ERROR: color.red, FATAL: color.red };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'name', 'v', 'err']);
const PREFIX_COLORS = [color.cyan, color.magenta, color.blue, color.yellow, color.green];

const clock = (t) => {
  const d = t === undefined ? new Date() : new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
};

const value = (v) => {
  if (typeof v === 'string') return /[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
};

/** One pino line → compact text; anything that is not a pino object is returned as is. */
export function formatLine(line, service) {
  if (!line.startsWith('{')) return line;
  let o;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof o !== 'object' || o === null || !('level' in o)) return line;
  const level = typeof o.level === 'number' ? LEVELS[o.level] ?? `L${o.level}` : String(o.level).toUpperCase();
  const tint = LEVEL_COLOR[level] ?? ((s) => s);
  const source = o.service ?? o.name;
  const parts = [color.dim(clock(o.time)), tint(level.padEnd(5))];
  if (source && source !== service) parts.push(color.dim(`(${source})`));
  if (o.msg !== undefined) parts.push(level === 'ERROR' || level === 'FATAL' ? color.red(o.msg) : o.msg);
  const rest = Object.entries(o).filter(([k]) => !HIDDEN.has(k));
  if (rest.length) parts.push(color.dim(rest.map(([k, v]) => `${k}=${value(v)}`).join(' ')));
  let text = parts.join(' ');
  if (o.err && typeof o.err === 'object') text += `\n${o.err.stack ?? `${o.err.type ?? 'Error'}: ${o.err.message}`}`;
  return text;
}

let next = 0;
/** Prefixes every line of a child's stdout and stderr with its colored name. */
export function pipeLogs(child, name, width) {
  const paint = PREFIX_COLORS[next++ % PREFIX_COLORS.length];
  const prefix = `${paint(name.padEnd(width))} ${color.dim('│')} `;
  const base = name.replace(/-\d+$/, '');
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      const text = formatLine(line, base);
      out.write(text.split('\n').map((l) => prefix + l).join('\n') + '\n');
    });
  }
}
