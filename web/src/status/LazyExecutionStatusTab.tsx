import { lazy, Suspense } from 'react';

// The status tab brings zod, json-render and uPlot (about 75 KB gzip): loaded when the tab
// opens, so the first load of the console stays small.
const ExecutionStatusTab = lazy(() => import('./ExecutionStatusTab.js').then((module) => ({ default: module.ExecutionStatusTab })));

/** ExecutionStatusTab, loaded on first use; the same props. */
export function LazyExecutionStatusTab(props: { configId: string; canOperate: boolean }) {
  return (
    <Suspense fallback={<p className="gj-muted">Loading the execution status…</p>}>
      <ExecutionStatusTab {...props} />
    </Suspense>
  );
}
