/** Where each piece of the local stack listens by default (docs/architecture.md, "Locally"). */
export const LOCAL_PORTS = {
  gateway: 3000,
  parcelApi: 3001,
  warehouseQuery: 3002,
  xrayDaemon: 2000,
  /** OTLP/HTTP into the sidecar, as the ADOT collector's otlp receiver listens. */
  otlpReceiver: 4318,
  xrayService: 2020,
  dynamodb: 8000,
  stepFunctions: 8083,
  postgres: 5433,
  vendor: 8443,
} as const;

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const PARCEL_TABLE = 'parcels';
export const STATE_MACHINE_NAME = 'parcel-fanout';
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;
/** The vendor has a name, not a loopback address, so the service graph shows it as itself (RFC 6761). */
export const LOCAL_VENDOR_HOST = 'vendor.localhost';
/** Static credentials the local stand-ins accept; the real SDKs need some to sign requests. */
export const LOCAL_CREDENTIALS = {
  accessKeyId: 'LOCALSTACKKEY',
  secretAccessKey: 'local-secret-key',
} as const;
