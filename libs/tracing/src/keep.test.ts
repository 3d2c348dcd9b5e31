import { startUdpCollector } from '@parcel/test-kit';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { keepOnErrorSuite } from './testing/keep-on-error-suite';

keepOnErrorSuite('xray', () => startUdpCollector<SegmentDoc>());
