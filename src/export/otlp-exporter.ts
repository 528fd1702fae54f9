import { Metadata } from '@grpc/grpc-js';
import { CompressionAlgorithm, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { convertLegacyOtlpGrpcOptions, createOtlpGrpcExportDelegate } from '@opentelemetry/otlp-grpc-exporter-base';
import {
  JsonLogsSerializer,
  LogsExporterMetricsHelper,
  ProtobufLogsSerializer,
  type IExportLogsServiceResponse,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

/** The OTLP protocols of the spec's `OTEL_EXPORTER_OTLP_PROTOCOL`. */
export const OTLP_PROTOCOLS = ['http/json', 'http/protobuf', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export interface OtlpSettings {
  protocol: OtlpProtocol;
  /** The logs endpoint, used as is: a full URL for HTTP, `http(s)://host:port` for gRPC. */
  url: string;
  headers: Record<string, string>;
  /** The exporter retries 429/502/503/504 and connection errors within it. */
  timeoutMillis: number;
  compression: 'gzip' | 'none';
}

/** What the collector said in a 2xx answer: OTLP partial success, when it rejected some records. */
export interface PartialSuccess {
  rejectedLogRecords: number;
  errorMessage?: string;
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
export function createOtlpLogsExporter(
  settings: OtlpSettings,
  onPartialSuccess: (partial: PartialSuccess) => void,
): OTLPExporterBase<ReadableLogRecord[]> {
  const compression = settings.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
  const config = { url: settings.url, timeoutMillis: settings.timeoutMillis, compression };
  if (settings.protocol === 'grpc') {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(settings.headers)) metadata.set(key, value);
    return new OTLPExporterBase(
      createOtlpGrpcExportDelegate(
        convertLegacyOtlpGrpcOptions({ ...config, metadata }, 'LOGS'),
        reportingPartialSuccess(ProtobufLogsSerializer, onPartialSuccess),
        'otlp_grpc_log_exporter',
        LogsExporterMetricsHelper,
        undefined,
        'LogsExportService',
        '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      ),
    );
  }
  const json = settings.protocol === 'http/json';
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(
      convertLegacyHttpOptions({ ...config, headers: settings.headers }, 'LOGS', 'v1/logs', {
        'Content-Type': json ? 'application/json' : 'application/x-protobuf',
      }),
      reportingPartialSuccess(json ? JsonLogsSerializer : ProtobufLogsSerializer, onPartialSuccess),
      'otlp_http_log_exporter',
      LogsExporterMetricsHelper,
      undefined,
    ),
  );
}

function reportingPartialSuccess(
  serializer: ISerializer<ReadableLogRecord[], IExportLogsServiceResponse>,
  report: (partial: PartialSuccess) => void,
): ISerializer<ReadableLogRecord[], IExportLogsServiceResponse> {
  return {
    serializeRequest: (records) => serializer.serializeRequest(records),
    deserializeResponse: (data) => {
      const response = serializer.deserializeResponse(data);
      const rejected = Number(response?.partialSuccess?.rejectedLogRecords ?? 0);
      const errorMessage = response?.partialSuccess?.errorMessage || undefined;
      if (rejected > 0 || errorMessage) report({ rejectedLogRecords: rejected, errorMessage });
      return response;
    },
  };
}
