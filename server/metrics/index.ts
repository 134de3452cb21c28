/** Prometheus metrics for `GET /metrics`: request latency, retrieval latency, tokens, queue depth, breaker state, jobs, serving engines. */
export {
  createMetrics,
  type BreakerState,
  type GalenMetrics,
  type JobCounts,
  type MetricsOptions,
  type UpstreamSource,
} from './galen-metrics.js';
export { routeLabel } from './route-label.js';
