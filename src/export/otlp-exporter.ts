import { getSharedConfigurationDefaults, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  createEmptyMetadata,
  createInsecureCredentials,
  createOtlpGrpcExportDelegate,
  createSslCredentials,
} from '@opentelemetry/otlp-grpc-exporter-base';
import {
  JsonLogsSerializer,
  LogsExporterMetricsHelper,
  ProtobufLogsSerializer,
  type IExportLogsServiceResponse,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtlpSettings } from '../config/otlp.js';
import { otlpAgentFactory } from './proxy-agent.js';

/** What the collector said in a 2xx answer: OTLP partial success, when it rejected some records. */
export interface PartialSuccess {
  rejectedLogRecords: number;
  errorMessage?: string;
}

/** A 2xx answer, read: a partial success, or a body that is no OTLP response at all (`notOtlp`, its start). */
export type Answer = PartialSuccess | { notOtlp: string };

/**
 * Records serialized into their OTLP request body ahead of their turn (`OtlpLogsExporter.serialize`),
 * by the same official serializer the export would use then. `length` counts the records, as the
 * array's did; `failure` is what serializing threw, thrown again when the request is exported.
 */
export interface SerializedLogs {
  readonly length: number;
  readonly body: Uint8Array | undefined;
  readonly failure?: unknown;
}

/** What the exporter takes: records, serialized when exported, or records serialized already. */
export type LogsRequest = ReadableLogRecord[] | SerializedLogs;

export interface OtlpLogsExporter {
  exporter: OTLPExporterBase<LogsRequest>;
  /** Serializes `records` now, so that the export later only sends (and they can be let go). Never throws. */
  serialize(records: ReadableLogRecord[]): SerializedLogs;
}

/**
 * An OTLP logs exporter for the chosen protocol, made of the same public pieces as the official
 * `exporter-logs-otlp-http`, `-proto` and `-grpc` packages (a network export delegate and an
 * otlp-transformer serializer), with one difference: the serializer's response decoder reports
 * the OTLP partial success, which those exporters only log.
 *
 * The delegate decodes a response and calls that request's result callback in one synchronous
 * step (`OTLPExportDelegate.export`), so the partial success seen last belongs to the callback
 * that runs next, whatever else is in flight.
 */
export function createOtlpLogsExporter(settings: OtlpSettings, onAnswer: (answer: Answer) => void): OtlpLogsExporter {
  // Resolved here, in full: the exporters' own option converters would also merge the process's
  // OTEL_EXPORTER_OTLP_* variables, sending both headers variables, or a host's credentials for
  // another backend when the options came from another environment.
  const shared = { ...getSharedConfigurationDefaults(), timeoutMillis: settings.timeoutMillis, compression: settings.compression };
  if (settings.protocol === 'grpc') {
    // The delegate loads @grpc/grpc-js on the first export, which held the event loop for 60 ms or
    // more in the middle of a backfill; loaded now, while the receiver starts, that export finds it
    // in the module cache.
    import('@grpc/grpc-js').catch(() => undefined);
    const target = new URL(settings.url);
    const serializer = reading(ProtobufLogsSerializer, false, onAnswer);
    const exporter = new OTLPExporterBase(
      createOtlpGrpcExportDelegate(
        {
          ...shared,
          url: target.host,
          metadata: () => {
            const metadata = createEmptyMetadata();
            for (const [key, value] of Object.entries(settings.headers)) metadata.set(key, value);
            return metadata;
          },
          credentials: target.protocol === 'https:' ? () => createSslCredentials() : () => createInsecureCredentials(),
        },
        serializer,
        'otlp_grpc_log_exporter',
        metricsHelper,
        undefined,
        'LogsExportService',
        '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      ),
    );
    return { exporter, serialize: serializer.serializeAhead };
  }
  const json = settings.protocol === 'http/json';
  const headers = { ...settings.headers, 'Content-Type': json ? 'application/json' : 'application/x-protobuf' };
  const serializer = reading(json ? JsonLogsSerializer : ProtobufLogsSerializer, json, onAnswer);
  const exporter = new OTLPExporterBase(
    createOtlpHttpExportDelegate(
      { ...shared, url: settings.url, headers: async () => headers, agentFactory: otlpAgentFactory(settings.url) },
      serializer,
      'otlp_http_log_exporter',
      metricsHelper,
      undefined,
    ),
  );
  return { exporter, serialize: serializer.serializeAhead };
}

/** The official helper, counting serialized requests too. */
const metricsHelper = { ...LogsExporterMetricsHelper, countItems: (request: LogsRequest) => request.length };

/**
 * The serializer, which also serializes ahead (`serializeAhead`) and then passes that body on as
 * it is, with a response decoder that tells what the 2xx said. A body that is not an OTLP
 * response (a web page from a wrong endpoint, a proxy's default answer) is reported, not taken for
 * an acknowledgement: the stock decoders log it and report success, which would count records as
 * delivered that no collector has seen.
 */
function reading(
  serializer: ISerializer<ReadableLogRecord[], IExportLogsServiceResponse>,
  json: boolean,
  report: (answer: Answer) => void,
): ISerializer<LogsRequest, IExportLogsServiceResponse> & { serializeAhead: OtlpLogsExporter['serialize'] } {
  return {
    serializeRequest: (request) => {
      if (Array.isArray(request)) return serializer.serializeRequest(request);
      if ('failure' in request) throw request.failure;
      return request.body;
    },
    serializeAhead: (records) => {
      try {
        return { length: records.length, body: serializer.serializeRequest(records) };
      } catch (failure) {
        return { length: records.length, body: undefined, failure };
      }
    },
    deserializeResponse: (data) => {
      let response: IExportLogsServiceResponse;
      try {
        if (json && data.length > 0) {
          const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        }
        response = serializer.deserializeResponse(data);
      } catch (error) {
        report({ notOtlp: new TextDecoder().decode(data.subarray(0, 120)) });
        throw error;
      }
      const rejected = Number(response?.partialSuccess?.rejectedLogRecords ?? 0);
      const errorMessage = response?.partialSuccess?.errorMessage || undefined;
      if (rejected > 0 || errorMessage) report({ rejectedLogRecords: rejected, errorMessage });
      return response;
    },
  };
}
