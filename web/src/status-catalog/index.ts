// The Execution Status catalog: schemas, the json-render catalog, the pure transform; the
// React registry and StatusView are imported from their own modules (they need React).
export * from './schemas.js';
export { statusCatalog, validateStatusSpec } from './catalog.js';
export { executionToRenderTree, type ExecutionInput, type LogLineInput, type RenderTreeOptions, type StatusElement, type StatusSpec } from './transform.js';
