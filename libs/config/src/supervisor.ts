/**
 * Parent-death check for apps started by a supervisor (`npm start`, scripts/start.mjs): it spawns each
 * app with an IPC channel, which the kernel closes when the supervisor dies, SIGKILL included. The app
 * then stops as on SIGTERM (drain, close, exit) instead of serving on as an orphan that holds its port.
 * An app started any other way has no channel, and this does nothing.
 */
export function exitWithSupervisor(): void {
  if (!process.channel) return;
  // The channel is only a tripwire: it must never keep a finished process alive.
  process.channel.unref();
  process.once('disconnect', () => {
    // The supervisor held the other end of stdout and stderr too: writing the drain's log lines to the
    // closed pipes fails with EPIPE, which must not turn a graceful stop into a crash.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    // Nest's shutdown hooks take it from here; before they are registered (still booting) the default
    // action ends the process at once, which is right for an app nobody supervises any more.
    process.kill(process.pid, 'SIGTERM');
  });
}
