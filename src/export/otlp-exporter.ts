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
 * An OTLP logs exporter for the chosen protocol, made of the same public pieces as the official
 * `exporter-logs-otlp-http`, `-proto` and `-grpc` packages (a network export delegate and an
 * otlp-transformer serializer), with one difference: the serializer's response decoder reports
 * the OTLP partial success, which those exporters only log.
 *
 * The delegate decodes a response and calls that request's result callback in one synchronous
 * step (`OTLPExportDelegate.export`), so the partial success seen last belongs to the callback
 * that runs next, whatever else is in flight.
 */
export function createOtlpLogsExporter(settings: OtlpSettings, onAnswer: (answer: Answer) => void): OTLPExporterBase<ReadableLogRecord[]> {
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
    return new OTLPExporterBase(
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
        reading(ProtobufLogsSerializer, false, onAnswer),
        'otlp_grpc_log_exporter',
        LogsExporterMetricsHelper,
        undefined,
        'LogsExportService',
        '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      ),
    );
  }
  const json = settings.protocol === 'http/json';
  const headers = { ...settings.headers, 'Content-Type': json ? 'application/json' : 'application/x-protobuf' };
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(
      { ...shared, url: settings.url, headers: async () => headers, agentFactory: otlpAgentFactory(settings.url) },
      reading(json ? JsonLogsSerializer : ProtobufLogsSerializer, json, onAnswer),
      'otlp_http_log_exporter',
      LogsExporterMetricsHelper,
      undefined,
    ),
  );
}

/**
 * The serializer, with a response decoder that tells what the 2xx said. A body that is not an
 * OTLP response (a web page from a wrong endpoint, a proxy's default answer) is reported, not
 * taken for an acknowledgement: the stock decoders log it and report success, which would count
 * records as delivered that no collector has seen.
 */
function reading(
  serializer: ISerializer<ReadableLogRecord[], IExportLogsServiceResponse>,
  json: boolean,
  report: (answer: Answer) => void,
): ISerializer<ReadableLogRecord[], IExportLogsServiceResponse> {
  return {
    serializeRequest: (records) => serializer.serializeRequest(records),
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
