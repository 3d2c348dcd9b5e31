import { startUdpCollector } from '@parcel/xray-protocol';
import { keepOnErrorSuite } from './test-keep-on-error';

keepOnErrorSuite('xray', startUdpCollector);
