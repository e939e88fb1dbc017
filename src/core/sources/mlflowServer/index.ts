/** An MLflow tracking server as a RunSource: `new MlflowServerSource(uri, mlflowServerOptionsFromEnv(process.env))`. */
export { MlflowServerSource, HISTORY_PAGE, RUNS_PAGE_DEFAULT, RUNS_PAGE_MAX } from './source';
export { mlflowServerOptionsFromEnv, parseServerUri, redactUrl, type MlflowServerOptions } from './auth';
export { planServerFilter, type ServerFilterPlan } from './filter';
export type { CallOptions } from './http';
export { MlflowRegistryClient } from './registryWrites';
