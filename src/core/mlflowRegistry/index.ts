/** The registry of an MLflow source, changed with an audit trail: `mlflowRegistry(source, workspaceRegistry)`. */
export { mlflowRegistry, MlflowRegistry, TrailIncompleteError, type AtAnswer, type ChangeOptions, type MlflowChange, type MlflowRegistryOptions } from './mlflowRegistry';
export { registryWriteRefusal } from './writable';
export { type ObserveResult } from './observe';
export { type Trail, type TrailEntry, type TrailOrigin, rollbackTarget, stateAt, trailCompleteness } from './trail';
export { AUDIT_PREFIX, type AuditRecord } from './audit';
export { describeMoves, describeState, type SourceRegistryState } from './state';
