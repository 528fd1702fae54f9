import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { DecodedLogRecord, DecodedValue } from './fake-collector.js';

/**
 * OTLP logs in protobuf, for the fake collector's protobuf and gRPC transports: decodes an
 * ExportLogsServiceRequest into the same plain records as the JSON decoding (`fake-collector.ts`),
 * and encodes the replies. Messages from `otlp-logs.proto` (next to this file; the build copies it
 * into dist/testing/), read with protobufjs.
 */

export const OTLP_LOGS_PROTO = fileURLToPath(new URL('./otlp-logs.proto', import.meta.url));
export const OTLP_LOGS_PACKAGE = 'opentelemetry.proto.collector.logs.v1';

const root = protobuf.loadSync(OTLP_LOGS_PROTO);
const type = (name: string): protobuf.Type => root.lookupType(`${OTLP_LOGS_PACKAGE}.${name}`);
const ExportLogsServiceRequest = type('ExportLogsServiceRequest');
const ExportLogsServiceResponse = type('ExportLogsServiceResponse');
const Status = type('Status');

// int64 and fixed64 as decimal strings (no precision lost), bytes as base64 (as OTLP/JSON writes
// them), enums as numbers, and the name of the set member of each oneof in `value`.
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: String, enums: Number, oneofs: true };

interface PbKeyValue {
  key?: string;
  value?: PbAnyValue;
}
interface PbAnyValue {
  value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
  bytesValue?: string;
}
interface PbLogRecord {
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: PbAnyValue;
  attributes?: PbKeyValue[];
}
interface PbRequest {
  resourceLogs?: Array<{
    resource?: { attributes?: PbKeyValue[] };
    scopeLogs?: Array<{ scope?: { name?: string; version?: string }; logRecords?: PbLogRecord[] }>;
  }>;
}

/** Decodes a protobuf ExportLogsServiceRequest (already decompressed). Throws on malformed input. */
export function decodeExportLogsRequest(buf: Uint8Array): DecodedLogRecord[] {
  const request = ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(buf), TO_OBJECT) as PbRequest;
  const out: DecodedLogRecord[] = [];
  for (const rl of request.resourceLogs ?? []) {
    const resource = decodeAttributes(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      for (const lr of sl.logRecords ?? []) {
        out.push({
          timeUnixNano: BigInt(lr.timeUnixNano ?? '0'),
          observedTimeUnixNano: BigInt(lr.observedTimeUnixNano ?? '0'),
          // proto3 does not send zero values: an unset field and a zero one look the same.
          severityNumber: lr.severityNumber || undefined,
          severityText: lr.severityText || undefined,
          eventName: lr.eventName || undefined,
          body: lr.body === undefined ? undefined : decodeValue(lr.body),
          attributes: decodeAttributes(lr.attributes),
          resource,
          scope: { name: sl.scope?.name ?? '', version: sl.scope?.version || undefined },
        });
      }
    }
  }
  return out;
}

/** An ExportLogsServiceResponse; `partial_success` only when something was rejected or said. */
export function encodeExportLogsResponse(reply: { rejectedLogRecords?: number; errorMessage?: string } = {}): Uint8Array {
  const partial = reply.rejectedLogRecords || reply.errorMessage;
  const message = partial
    ? { partialSuccess: { rejectedLogRecords: reply.rejectedLogRecords ?? 0, errorMessage: reply.errorMessage ?? '' } }
    : {};
  return ExportLogsServiceResponse.encode(ExportLogsServiceResponse.fromObject(message)).finish();
}

/** A google.rpc.Status (`code` is a gRPC status code, e.g. 3 INVALID_ARGUMENT, 14 UNAVAILABLE). */
export function encodeStatus(status: { code: number; message: string }): Uint8Array {
  return Status.encode(Status.fromObject(status)).finish();
}

/** Decodes a google.rpc.Status (e.g. the body of an OTLP/HTTP error reply in protobuf). */
export function decodeStatus(buf: Uint8Array): { code: number; message: string } {
  const s = Status.toObject(Status.decode(buf), { defaults: true }) as { code: number; message: string };
  return { code: s.code, message: s.message };
}

function decodeAttributes(list: PbKeyValue[] | undefined): Record<string, DecodedValue> {
  const out: Record<string, DecodedValue> = {};
  for (const kv of list ?? []) out[kv.key ?? ''] = decodeValue(kv.value ?? {});
  return out;
}

// As the JSON receiver's decodeValue: int64 as a number, bytes as base64, an empty value as null.
function decodeValue(v: PbAnyValue): DecodedValue {
  switch (v.value) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue':
      return Number(v.intValue ?? 0);
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(decodeValue);
    case 'kvlistValue':
      return decodeAttributes(v.kvlistValue?.values);
    case 'bytesValue':
      return v.bytesValue ?? '';
    default:
      return null;
  }
}
