import { startUdpCollector } from '@parcel/xray-protocol';
import { keepOnErrorSuite } from './keep-suite';

keepOnErrorSuite('xray', startUdpCollector);
