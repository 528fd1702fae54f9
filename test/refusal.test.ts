/**
 * Refusal classification on its own (src/export/refusal.ts): what each HTTP status and gRPC code
 * means for a batch (split it, fail the pass for a person to fix, or retry), the collector's
 * message read from JSON and protobuf `google.rpc.Status` bodies, and the one-line sanitising
 * every message goes through. The expected tables are written out by hand from the OTLP
 * specification's status handling and grpc/doc/statuscodes.md.
 */
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { describe, expect, it } from 'vitest';
import { collectorMessageOf, describeRefusal, oneLine } from '../src/export/refusal.js';
import type { RefusalKind } from '../src/core/errors.js';

const SPLIT_FIX = 'the batch is split to find the records at fault';
const RETRY_FIX =
  'check that the collector runs and keeps up: the next pass sends the same records again (OTEL_EXPORTER_OTLP_TIMEOUT sets how long each export is retried)';
const CREDENTIALS_FIX = 'check the credentials in OTEL_EXPORTER_OTLP_HEADERS (or OTEL_EXPORTER_OTLP_LOGS_HEADERS)';
const ENDPOINT_FIX =
  'check the endpoint: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is (…/v1/logs), OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/logs appended';

/** A gRPC error as @grpc/grpc-js hands it to the exporter: a numeric code and the details text. */
const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });

describe('HTTP statuses', () => {
  it.each<[number, string, RefusalKind, string]>([
    [400, 'Bad Request', 'split', SPLIT_FIX],
    [413, 'Payload Too Large', 'split', SPLIT_FIX],
    [401, 'Unauthorized', 'elsewhere', CREDENTIALS_FIX],
    [403, 'Forbidden', 'elsewhere', CREDENTIALS_FIX],
    [404, 'Not Found', 'elsewhere', ENDPOINT_FIX],
    [405, 'Method Not Allowed', 'elsewhere', ENDPOINT_FIX],
    [
      415,
      'Unsupported Media Type',
      'elsewhere',
      'the collector does not take http/protobuf: set OTEL_EXPORTER_OTLP_PROTOCOL to a protocol it serves',
    ],
    [429, 'Too Many Requests', 'retryable', RETRY_FIX],
    [500, 'Internal Server Error', 'retryable', RETRY_FIX],
    [502, 'Bad Gateway', 'retryable', RETRY_FIX],
    [503, 'Service Unavailable', 'retryable', RETRY_FIX],
    [504, 'Gateway Timeout', 'retryable', RETRY_FIX],
    [
      418,
      "I'm a Teapot",
      'elsewhere',
      "the collector refused the request itself, not its records: check the endpoint and the collector's logs",
    ],
  ])('HTTP %i %s: %s', (status, text, kind, fix) => {
    const refusal = describeRefusal(new OTLPExporterError(text, status, '{"code":3,"message":"said so"}'), 'http/protobuf');
    expect(refusal).toEqual({ kind, status: `HTTP ${status} ${text}`, collectorMessage: 'said so', fix });
  });

  it('without a status text: the status alone', () => {
    expect(describeRefusal(new OTLPExporterError(undefined, 400, ''), 'http/json')).toEqual({
      kind: 'split',
      status: 'HTTP 400',
      collectorMessage: undefined,
      fix: SPLIT_FIX,
    });
    expect(describeRefusal(new OTLPExporterError('', 503), 'http/json').status).toBe('HTTP 503');
  });

  it('the protocol the 415 names is the one in use', () => {
    expect(describeRefusal(new OTLPExporterError('Unsupported Media Type', 415), 'http/json').fix).toBe(
      'the collector does not take http/json: set OTEL_EXPORTER_OTLP_PROTOCOL to a protocol it serves',
    );
  });
});

describe('gRPC codes', () => {
  it.each<[number, string, RefusalKind, string]>([
    [1, 'CANCELLED', 'retryable', RETRY_FIX],
    [2, 'UNKNOWN', 'retryable', RETRY_FIX],
    [3, 'INVALID_ARGUMENT', 'split', SPLIT_FIX],
    [4, 'DEADLINE_EXCEEDED', 'retryable', RETRY_FIX],
    [5, 'NOT_FOUND', 'elsewhere', 'check OTEL_EXPORTER_OTLP_ENDPOINT: it must be an OTLP gRPC endpoint (host:port, usually 4317)'],
    [7, 'PERMISSION_DENIED', 'elsewhere', CREDENTIALS_FIX],
    [8, 'RESOURCE_EXHAUSTED', 'retryable', RETRY_FIX],
    [
      12,
      'UNIMPLEMENTED',
      'elsewhere',
      'the endpoint does not serve OTLP logs over gRPC: check its port (4317 for gRPC, 4318 for HTTP) and OTEL_EXPORTER_OTLP_PROTOCOL',
    ],
    [13, 'INTERNAL', 'retryable', RETRY_FIX],
    [14, 'UNAVAILABLE', 'retryable', RETRY_FIX],
    [16, 'UNAUTHENTICATED', 'elsewhere', CREDENTIALS_FIX],
  ])('code %i %s: %s', (code, name, kind, fix) => {
    expect(describeRefusal(grpcError(code, 'details here'), 'grpc')).toEqual({
      kind,
      status: `gRPC ${code} ${name}`,
      collectorMessage: 'details here',
      fix,
    });
  });

  it.each(['grpc: received message larger than max (9000000 vs. 4194304)', 'message too large', 'Received message LARGER THAN MAX'])(
    'RESOURCE_EXHAUSTED about size ("%s"): split',
    (details) => {
      expect(describeRefusal(grpcError(8, details), 'grpc')).toMatchObject({
        kind: 'split',
        status: 'gRPC 8 RESOURCE_EXHAUSTED',
        fix: SPLIT_FIX,
      });
    },
  );

  it('RESOURCE_EXHAUSTED from the memory limiter: retryable', () => {
    expect(describeRefusal(grpcError(8, 'data refused due to high memory usage'), 'grpc').kind).toBe('retryable');
  });

  it('a code outside the table: retryable, named by its number', () => {
    expect(describeRefusal(grpcError(99, 'odd'), 'grpc')).toEqual({
      kind: 'retryable',
      status: 'gRPC 99 code 99',
      collectorMessage: 'odd',
      fix: RETRY_FIX,
    });
  });

  it('details over several lines, with terminal escapes: one line', () => {
    expect(describeRefusal(grpcError(16, 'denied\n\x1b[2Jfake line\u2028INFO ok'), 'grpc').collectorMessage).toBe(
      'denied [2Jfake line INFO ok',
    );
  });

  it('empty details: no collector message', () => {
    expect(describeRefusal(grpcError(14, ''), 'grpc').collectorMessage).toBeUndefined();
  });
});

describe('no answer', () => {
  it('a refused connection: "no answer" with the reason, retryable', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(describeRefusal(error, 'http/json')).toEqual({
      kind: 'retryable',
      status: 'no answer (connect ECONNREFUSED 127.0.0.1:9)',
      fix: RETRY_FIX,
    });
  });

  it('the code of the cause, when the message does not name it', () => {
    const error = new Error('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    expect(describeRefusal(error, 'http/json').status).toBe('no answer (fetch failed, ECONNRESET)');
  });

  it("the exporter's own retries used up on 429/502/503/504", () => {
    expect(describeRefusal(new Error('Export failed with retryable status'), 'http/json').status).toBe(
      'the collector kept answering 429, 502, 503 or 504',
    );
  });

  it('a gRPC-shaped error over HTTP is not read as gRPC', () => {
    expect(describeRefusal(grpcError(3, 'x'), 'http/json').kind).toBe('retryable');
  });

  it('a message over several lines: one line', () => {
    expect(describeRefusal(new Error('timed out\nafter 10000 ms'), 'grpc').status).toBe('no answer (timed out after 10000 ms)');
  });
});

describe("the collector's message from an error body", () => {
  it.each<[string, unknown, string | undefined]>([
    ['a JSON Status', '{"code":3,"message":"http: request body too large"}', 'http: request body too large'],
    ['a JSON Status over two lines', '{"code":3,"message":"bad\\nrecord"}', 'bad record'],
    ['a protobuf Status (code 14, "busy")', '\x08\x0e\x12\x04busy', 'busy'],
    // google.rpc.Status{code: 3, message: "http: request body too large"}: tag 0x08, 3, tag 0x12, length 28.
    ['a protobuf Status (code 3, 28 bytes of message)', '\x08\x03\x12\x1chttp: request body too large', 'http: request body too large'],
    ['plain text', 'Bad Gateway\n', 'Bad Gateway'],
    ['HTML', '<html>\r\n<body>502</body>\r\n</html>', '<html> <body>502</body> </html>'],
    ['JSON whose message is not text', '{"message":42}', '{"message":42}'],
    ['blanks only', ' \n\t ', undefined],
    ['nothing', '', undefined],
    ['no body at all', undefined, undefined],
    ['a Buffer (not text)', Buffer.from('busy'), undefined],
  ])('%s', (_name, body, expected) => {
    expect(collectorMessageOf(body)).toBe(expected);
  });

  it('binary bytes are dropped to spaces, never kept as control characters', () => {
    expect(collectorMessageOf('\x00\x01ok\x7f\x1bfine\xff')).toBe('ok fine');
  });
});

describe('oneLine', () => {
  it.each<[string, string | undefined]>([
    ['a\nb', 'a b'],
    ['  a \t\r\n b  ', 'a b'],
    ['\x1b[31mred\x07', '[31mred'],
    ['a\u2028b\u2029c\u0085d', 'a b c d'],
    ['tab\tand\vform\ffeed', 'tab and form feed'],
    ['', undefined],
    ['\n\t\r', undefined],
  ])('%j -> %j', (text, expected) => {
    expect(oneLine(text)).toBe(expected);
  });

  it('300 characters stay whole; 301 are cut to 297 and "..."', () => {
    expect(oneLine('x'.repeat(300))).toBe('x'.repeat(300));
    expect(oneLine(`${'y'.repeat(297)}abcd`)).toBe(`${'y'.repeat(297)}...`);
  });
});
