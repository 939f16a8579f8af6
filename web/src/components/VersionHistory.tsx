import { useCallback, useEffect, useState } from 'react';
import type { ConfigVersion, JobView } from '../api-client';
import { formatDateTime } from '../format';
import { useApi } from '../hooks/use-api';
import { useSession } from '../hooks/use-session';
import { ErrorNotice } from './Notice';

/** Versions shown before "Show all". */
const SHOWN = 10;

function describeChanges(version: ConfigVersion): string {
  if (version.restoredFrom !== null) return `restored version ${version.restoredFrom}`;
  const paths = version.changes.map((change) => String(change['path'] ?? '')).filter(Boolean);
  if (paths.length === 0) return 'no field changes';
  if (version.version === 1) return 'created';
  const shown = paths.slice(0, 3).map((path) => path.replace(/^payload\./, ''));
  return `changed ${shown.join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}`;
}

/** Who stored a version; one stored by `grove-jobs apply` (`apply:files`) is marked as coming from config files. */
function ChangedBy({ actor }: { actor: string }) {
  if (!actor.startsWith('apply:')) return <>{actor}</>;
  return (
    <span className="from-files" title="Stored by grove-jobs apply from config files">
      {actor}
    </span>
  );
}

/** Every stored version, newest first; an operator restores one as a new version. */
export function VersionHistory({ id, current, onRestored }: { id: string; current: number; onRestored: (job: JobView) => void }) {
  const api = useApi();
  const { canOperate } = useSession();
  const [versions, setVersions] = useState<ConfigVersion[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [all, setAll] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setVersions(await api.versions(id));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [api, id]);

  useEffect(() => {
    void load();
  }, [load, current]);

  async function restore(version: number) {
    setMessage(null);
    try {
      const restored = await api.restoreVersion(id, version, current);
      setMessage(`Restored version ${version} as version ${String(restored.meta['version'])}.`);
      onRestored(restored);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <div className="version-history">
      <ErrorNotice error={error} />
      {message ? (
        <p className="notice notice--ok" role="status">
          {message}
        </p>
      ) : null}
      {versions === null ? <p className="muted">Loading versions…</p> : null}
      <ol className="versions" aria-label="Versions">
        {(all ? versions : versions?.slice(0, SHOWN))?.map((version) => (
          <li key={version.version} data-version={version.version}>
            <div className="version-text">
              <span>
                <strong>Version {version.version}</strong>
                {version.version === current ? ' (current)' : ''} · {formatDateTime(version.changedAt)} · <ChangedBy actor={version.changedBy} /> ·{' '}
                {describeChanges(version)}
              </span>
              {version.message ? <p className="version-message">{version.message}</p> : null}
            </div>
            {canOperate && version.version !== current ? (
              <button type="button" className="button button--small" onClick={() => void restore(version.version)} aria-label={`Restore version ${version.version}`}>
                Restore
              </button>
            ) : null}
          </li>
        ))}
      </ol>
      {versions && versions.length > SHOWN && !all ? (
        <button type="button" className="button button--small" onClick={() => setAll(true)}>
          Show all {versions.length} versions
        </button>
      ) : null}
    </div>
  );
}
