/** What the OTLP exporter is given: the spec's protocols, and the resolved logs endpoint settings. */

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
