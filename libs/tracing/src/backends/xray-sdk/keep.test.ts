import { startUdpCollector } from '@parcel/test-kit';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { keepOnErrorSuite } from '../../testing/keep-on-error-suite';

// The same keep-on-error suite as the lean recorder's, on the stock SDK (keep-on-error done by the provider).
keepOnErrorSuite('xray-sdk', () => startUdpCollector<SegmentDoc>());
