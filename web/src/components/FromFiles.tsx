import { formatInstantUtc } from '../format';
import type { FromFiles } from '../hooks/use-from-files';

/** "Set by apply:files on 7 Dec 2026, 14:02 UTC, version 3". */
function setBy(files: FromFiles): string {
  const { owner } = files;
  return `Set by ${owner.by} on ${formatInstantUtc(owner.at)}, version ${owner.version}`;
}

/**
 * "from files (files)" next to a field's label: config files applied with `grove-jobs apply`
 * set this field. Who and when show on hover (title) and are read with the control (its
 * aria-describedby points at the hidden sentence), since a title alone reaches neither touch
 * screens nor most screen readers.
 */
export function FromFilesMark({ files }: { files: FromFiles | undefined }) {
  if (!files) return null;
  return (
    <>
      <span className="from-files" title={setBy(files)} data-manager={files.owner.manager}>
        from files (<code>{files.name}</code>)
      </span>
      <span className="visually-hidden" id={files.detailId}>
        From config files ({files.owner.manager}). {setBy(files)}.
      </span>
    </>
  );
}

/** Shown under a field from config files once the draft changes it: saving is allowed, and this is what follows. */
export function FromFilesWarning({ files }: { files: FromFiles | undefined }) {
  if (!files?.edited) return null;
  return (
    <p className="from-files-warning" id={files.warningId} role="status">
      This field comes from config files ({files.owner.manager}). If you save this change, the next <code>grove-jobs apply</code> stops with a conflict on
      it: change the file to match, or it stops until someone runs it with <code>--force</code> (which puts the file&rsquo;s value back).
    </p>
  );
}
