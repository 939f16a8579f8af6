import { JSONUIProvider, Renderer } from '@json-render/react';
import { statusRegistry } from './registry.js';
import type { StatusSpec } from './transform.js';

/**
 * Draws a status spec with json-render's Renderer. The status catalog binds no state and
 * declares no actions, but the Renderer reads its state, visibility and action contexts, so
 * it runs inside an (empty) JSONUIProvider.
 */
export function StatusView({ spec }: { spec: StatusSpec }) {
  return (
    <JSONUIProvider registry={statusRegistry}>
      <Renderer spec={spec} registry={statusRegistry} />
    </JSONUIProvider>
  );
}
