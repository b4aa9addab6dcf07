// Starting and finding peer processes: a forked Node server that says 'ready', the children of a pid,
// and the open-file limit a server may raise itself to.
import { fork, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Forks bench/peers/<script> with args; resolves with the child once it sends 'ready'. */
export function forkServer(script, args, { timeoutMs = 20_000 } = {}) {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), args.map(String), { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  const keep = (d) => (out = (out + d).slice(-5000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${script} did not start in ${timeoutMs} ms: ${out}`))), timeoutMs);
    child.once('message', (m) => m === 'ready' && (clearTimeout(t), resolve(child)));
    child.once('exit', (code) => (clearTimeout(t), reject(new Error(`${script} exited with ${code}: ${out}`))));
  });
}

/** Kills a child process and waits for it to exit (bounded). */
export function killChild(child, signal = 'SIGTERM', timeoutMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => (child.kill('SIGKILL'), resolve()), timeoutMs);
    child.once('exit', () => (clearTimeout(t), resolve()));
    child.kill(signal);
  });
}

/** Direct children of `pid` (e.g. nginx's workers). */
export function childPids(pid) {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
