/**
 * What every bench subject process shares: a logger that only counts (keeping the first few
 * warnings and errors), and the IPC loop that answers the parent's `{ id, cmd }` messages.
 */

/**
 * A silent logger that counts warnings and errors (retries, waits, gaps) and keeps the first `keep`.
 * @returns the logger and its live counts, `{ warn, error, messages }`
 */
export function countingLogger(keep) {
  const logged = { warn: 0, error: 0, messages: [] };
  const count = (level) => (message) => {
    logged[level]++;
    if (logged.messages.length < keep) logged.messages.push(`${level}: ${message}`);
  };
  return { logged, logger: { debug() {}, info() {}, warn: count('warn'), error: count('error') } };
}

/**
 * Answers each message with `handlers[msg.cmd](msg)`; `{ cmd: 'exit' }` shuts down `receiver()`
 * (if any) and ends the process. A parent that goes away ends it too.
 */
export function serveSubject(handlers, receiver) {
  const all = {
    ...handlers,
    async exit() {
      await receiver()?.shutdown();
      setImmediate(() => process.exit(0));
      return {};
    },
  };
  process.on('message', async (msg) => {
    try {
      process.send({ id: msg.id, ok: true, result: await all[msg.cmd](msg) });
    } catch (error) {
      process.send({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(1));
}
