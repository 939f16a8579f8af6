import type { JobStatus } from '../api-client';
import { STATUS_LABEL } from '../format';

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge badge--${status}`}>{STATUS_LABEL[status]}</span>;
}
