import protobuf from 'protobufjs';

/**
 * The OTLP trace messages this receiver reads (opentelemetry-proto `collector/trace/v1` and `trace/v1`),
 * cut down to the fields the span → segment rules use; unknown fields are skipped by the decoder, so
 * any OTLP client's request decodes. Field numbers are those of opentelemetry-proto v1.
 */
const SCHEMA = `
syntax = "proto3";
package otlp;

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  repeated Event events = 11;
  Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }

message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
// google.rpc.Status: the body of an OTLP/HTTP error response.
message RpcStatus { int32 code = 1; string message = 2; }
`;

let root: protobuf.Root | undefined;
function types() {
  root ??= protobuf.parse(SCHEMA).root;
  return {
    request: root.lookupType('otlp.ExportTraceServiceRequest'),
    response: root.lookupType('otlp.ExportTraceServiceResponse'),
    status: root.lookupType('otlp.RpcStatus'),
  };
}

/**
 * Decodes a protobuf ExportTraceServiceRequest into the shape of its OTLP/JSON form (camelCase keys,
 * int64 as decimal strings), except that bytes come as base64: one reader then serves both encodings.
 * Throws on a body that is not a valid message.
 */
export function decodeProtobufRequest(body: Uint8Array): unknown {
  const { request } = types();
  const message = request.decode(body);
  return request.toObject(message, { longs: String, bytes: String, enums: Number, defaults: false });
}

export function encodeProtobufResponse(partialSuccess?: { rejectedSpans: number; errorMessage: string }) {
  const { response } = types();
  return Buffer.from(response.encode(response.create(partialSuccess ? { partialSuccess } : {})).finish());
}

export function encodeProtobufStatus(code: number, message: string): Buffer {
  const { status } = types();
  return Buffer.from(status.encode(status.create({ code, message })).finish());
}
