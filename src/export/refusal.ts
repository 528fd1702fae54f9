import protobuf from 'protobufjs';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { OtlpProtocol } from '../config/otlp.js';
import type { Refusal, RefusalKind } from '../core/errors.js';

const RETRY_FIX =
  'check that the collector runs and keeps up: the next pass sends the same records again (OTEL_EXPORTER_OTLP_TIMEOUT sets how long each export is retried)';
const SPLIT_FIX = 'the batch is split to find the records at fault';
const CREDENTIALS_FIX = 'check the credentials in OTEL_EXPORTER_OTLP_HEADERS (or OTEL_EXPORTER_OTLP_LOGS_HEADERS)';

/** gRPC status codes (grpc/doc/statuscodes.md) and what each means for a batch. */
const GRPC: Record<number, [name: string, kind: RefusalKind, fix?: string]> = {
  1: ['CANCELLED', 'retryable'],
  2: ['UNKNOWN', 'retryable'],
  3: ['INVALID_ARGUMENT', 'split'],
  4: ['DEADLINE_EXCEEDED', 'retryable'],
  5: ['NOT_FOUND', 'elsewhere', 'check OTEL_EXPORTER_OTLP_ENDPOINT: it must be an OTLP gRPC endpoint (host:port, usually 4317)'],
  7: ['PERMISSION_DENIED', 'elsewhere', CREDENTIALS_FIX],
  8: ['RESOURCE_EXHAUSTED', 'retryable'],
  12: [
    'UNIMPLEMENTED',
    'elsewhere',
    'the endpoint does not serve OTLP logs over gRPC: check its port (4317 for gRPC, 4318 for HTTP) and OTEL_EXPORTER_OTLP_PROTOCOL',
  ],
  13: ['INTERNAL', 'retryable'],
  14: ['UNAVAILABLE', 'retryable'],
  16: ['UNAUTHENTICATED', 'elsewhere', CREDENTIALS_FIX],
};

export function describeRefusal(error: unknown, protocol: OtlpProtocol): Refusal {
  const e = (error ?? {}) as { code?: unknown; details?: unknown; data?: unknown; message?: unknown; cause?: { code?: unknown } };
  if (protocol === 'grpc' && typeof e.code === 'number' && typeof e.details === 'string') {
    const [name, kind, fix] = GRPC[e.code] ?? [`code ${e.code}`, 'retryable' as RefusalKind];
    const collectorMessage = oneLine(e.details);
    // grpc-go refuses a message above its receive limit with RESOURCE_EXHAUSTED: a size problem.
    const tooLarge = e.code === 8 && /larger than max|too large/i.test(e.details);
    return {
      kind: tooLarge ? 'split' : kind,
      status: `gRPC ${e.code} ${name}`,
      collectorMessage,
      fix: fix ?? (tooLarge || kind === 'split' ? SPLIT_FIX : RETRY_FIX),
    };
  }
  if (error instanceof OTLPExporterError && typeof e.code === 'number') {
    return httpRefusal(e.code, error.message, collectorMessageOf(e.data), protocol);
  }
  const reason = oneLine(String(e.message ?? error)) ?? 'no reason given';
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  return {
    kind: 'retryable',
    status: reason.includes('retryable status')
      ? 'the collector kept answering 429, 502, 503 or 504'
      : `no answer (${code && !reason.includes(code) ? `${reason}, ${code}` : reason})`,
    fix: RETRY_FIX,
  };
}

function httpRefusal(status: number, statusText: string, collectorMessage: string | undefined, protocol: OtlpProtocol): Refusal {
  const line = `HTTP ${status}${statusText && statusText !== 'undefined' ? ` ${statusText}` : ''}`;
  const of = (kind: RefusalKind, fix: string): Refusal => ({ kind, status: line, collectorMessage, fix });
  if (status === 400 || status === 413) return of('split', SPLIT_FIX);
  if (status === 401 || status === 403) return of('elsewhere', CREDENTIALS_FIX);
  if (status === 404 || status === 405) {
    return of(
      'elsewhere',
      'check the endpoint: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is (…/v1/logs), OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/logs appended',
    );
  }
  if (status === 415) {
    return of('elsewhere', `the collector does not take ${protocol}: set OTEL_EXPORTER_OTLP_PROTOCOL to a protocol it serves`);
  }
  if (status === 429 || status >= 500) return of('retryable', RETRY_FIX);
  if (status === 407) {
    return of(
      'elsewhere',
      "a proxy refused its credentials: check the user and password in HTTPS_PROXY (or HTTP_PROXY), or list the collector's host in NO_PROXY",
    );
  }
  return of('elsewhere', "the collector refused the request itself, not its records: check the endpoint and the collector's logs");
}

/** google.rpc.Status, as OTLP/HTTP error bodies carry it (protobuf or JSON). */
const StatusMessage = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));

/**
 * The collector's message from an error body. The exporter hands the body over as UTF-8 text,
 * which a protobuf `Status` survives when its message is short and plain (the usual case); when
 * it does not, the readable part of the text is the best there is.
 */
export function collectorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'string' || body.length === 0) return undefined;
  try {
    const json = JSON.parse(body) as { message?: unknown };
    if (typeof json?.message === 'string') return oneLine(json.message);
  } catch {
    // not JSON
  }
  try {
    const status = StatusMessage.decode(Buffer.from(body, 'utf8')) as unknown as { message?: string };
    if (status.message && /^[\x20-\x7e\u00a0-\uffef]+$/.test(status.message)) return oneLine(status.message);
  } catch {
    // not a protobuf Status
  }
  return oneLine(body.replace(/[^\x20-\x7e]+/g, ' '));
}

/** One line of plain text: control characters (terminal escapes, line separators) become spaces. */
export function oneLine(text: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const line = text.replace(/[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+/g, ' ').trim();
  if (!line) return undefined;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
