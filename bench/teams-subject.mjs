/**
 * The teams bench's subject, in a fresh process: one receiver, `SLACK_TEAM_ID=all` (or the token's
 * own workspace), two passes on the parent's word. Reports each pass's wall time, the process's
 * peak RSS, and the open file descriptors at the end of the pass (locks still held).
 *   { cmd: 'init', slackUrl, otlpUrl, cursorFile, token, all, concurrency }
 *   { cmd: 'pass' } -> { wallMs, peakRssMB, fds, exported, slackRequests }
 *   { cmd: 'exit' }
 */
import { readdirSync } from 'node:fs';
import { SlackIntegrationLogsReceiver } from '../dist/index.js';
import { countingLogger, serveSubject } from './subject.mjs';

let receiver;
const { logged, logger: silent } = countingLogger(3);
const openFds = () => readdirSync('/proc/self/fd').length;

const handlers = {
  async init(msg) {
    receiver = new SlackIntegrationLogsReceiver({
      token: msg.token,
      slackApiUrl: msg.slackUrl,
      otlpEndpoint: msg.otlpUrl,
      cursorFile: msg.cursorFile,
      backfillStartTime: 0,
      ...(msg.all ? { slackTeamIds: ['all'] } : {}),
      ...(msg.concurrency ? { teamConcurrency: msg.concurrency } : {}),
      logger: silent,
    });
    return { pid: process.pid };
  },
  async pass() {
    let peakFds = openFds();
    const sampler = setInterval(() => {
      peakFds = Math.max(peakFds, openFds());
    }, 20);
    const started = performance.now();
    const summary = await receiver.syncOnce();
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    return {
      wallMs,
      // The kernel's high-water mark: no sample missed.
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      fds: Math.max(peakFds, openFds()),
      exported: summary.exported,
      slackRequests: summary.slackRequests,
      logged: { ...logged },
    };
  },
};

serveSubject(handlers, () => receiver);
