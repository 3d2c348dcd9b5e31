export { getTraces, listTraceIds, type Window } from './fetch-traces';
