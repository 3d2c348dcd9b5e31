export { type GatewayOptions, type RunningGateway, startGateway } from './gateway';
export { GATEWAY_ERRORS } from './gateway-responses';
export { LIMITS } from './limits';
export {
  findRule,
  LOCAL_DEFAULT_RULE,
  parseSamplingRules,
  type SamplingRequest,
  type SamplingRule,
  wildcardMatch,
} from './sampling/rules';
export { CentralSampler, type SamplingDecision } from './sampling/sampler';
export { buildStageSegment, STAGE_ORIGIN, stageServiceName } from './tracing/stage-segment';
