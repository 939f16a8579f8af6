import { createContext, useContext, useId } from 'react';
import type { FieldOwner, FieldOwners } from '../api-client';

/** Managers of config files applied with `grove-jobs apply --manager <name>` are `apply:<name>`. */
const FILES_MANAGER_PREFIX = 'apply:';

export interface FieldOwnership {
  /** Who set each field of the stored version the form's draft started from. */
  owners: FieldOwners;
  /** Leaves set by config files whose value the draft has changed (not saved yet). */
  edited: ReadonlySet<string>;
}

/** Provided by the configuration form; elsewhere (the new-job form) no field comes from files. */
export const FieldOwnershipContext = createContext<FieldOwnership>({ owners: {}, edited: new Set() });

export function isFromFiles(owner: FieldOwner | undefined): owner is FieldOwner {
  return owner?.manager.startsWith(FILES_MANAGER_PREFIX) === true;
}

/** `apply:files` → `files`: the name given to `grove-jobs apply --manager`. */
export function filesName(owner: FieldOwner): string {
  return owner.manager.slice(FILES_MANAGER_PREFIX.length);
}

/** Whether `leaf` is the field at `path` or under it (a parameter given as an object has leaves under it). */
function isLeafOf(leaf: string, path: string): boolean {
  return leaf === path || leaf.startsWith(`${path}.`);
}

/** The owner of the field at `path` when config files set it (the field, or a leaf under it). */
export function filesOwnerOf(owners: FieldOwners, path: string): FieldOwner | undefined {
  return Object.entries(owners).find(([leaf, owner]) => isLeafOf(leaf, path) && isFromFiles(owner))?.[1];
}

export interface FromFiles {
  owner: FieldOwner;
  /** The manager's name (`files`). */
  name: string;
  /** The draft changes a value the files set: the next apply will report a conflict on it. */
  edited: boolean;
  /** The marker's full description (who and when). */
  detailId: string;
  warningId: string;
  /** For the control's aria-describedby. */
  describedBy: string;
}

/** Whether the field at `path` comes from config files, and whether the draft has changed it. */
export function useFromFiles(path: string): FromFiles | undefined {
  const { owners, edited } = useContext(FieldOwnershipContext);
  const id = useId();
  const owner = filesOwnerOf(owners, path);
  if (!owner) return undefined;
  const changed = [...edited].some((leaf) => isLeafOf(leaf, path));
  const detailId = `${id}-from-files`;
  const warningId = `${id}-files-warning`;
  return { owner, name: filesName(owner), edited: changed, detailId, warningId, describedBy: changed ? `${detailId} ${warningId}` : detailId };
}
