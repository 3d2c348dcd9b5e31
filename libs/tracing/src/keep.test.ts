import { startUdpCollector } from '@parcel/test-kit';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { keepOnErrorSuite } from './test-keep-on-error';

keepOnErrorSuite('xray', () => startUdpCollector<SegmentDoc>());
