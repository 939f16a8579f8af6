import { randomUUID } from 'node:crypto';

/**
 * The claims this process made and the executions each still holds (migration 0023): a claim
 * is one row for all the executions it took, deleted with the ending of the last one, so the
 * store keeps, per claim, how many of its executions have not ended or been handed back.
 * Only the worker that made a claim ends its executions; several workers may share a store.
 */
export class ClaimBook {
  readonly #claimOf = new Map<string, { claim: string; worker: string }>();
  readonly #open = new Map<string, number>();
  readonly #claimedAt = new Map<string, Date>();

  /** A new claim's id, chosen before the claim is made (it is sent with it). */
  newId(): string {
    return randomUUID();
  }

  /** Records what a worker's claim took at `at`; a claim that took nothing was not recorded by the database either. */
  record(claimId: string, workerId: string, executionIds: readonly string[], at: Date): void {
    if (executionIds.length === 0) return;
    for (const id of executionIds) this.#claimOf.set(id, { claim: claimId, worker: workerId });
    this.#open.set(claimId, (this.#open.get(claimId) ?? 0) + executionIds.length);
    this.#claimedAt.set(claimId, at);
  }

  /** When the claim holding this execution for this worker was made: its start, unless it says otherwise. */
  claimedAt(executionId: string, workerId: string): Date | undefined {
    const claim = this.claimOf(executionId, workerId);
    return claim === undefined ? undefined : this.#claimedAt.get(claim);
  }

  /** The distinct claims of this worker that hold these executions (an unknown one is held by none). */
  claimsOf(executionIds: Iterable<string>, workerId: string): string[] {
    const claims = new Set<string>();
    for (const id of executionIds) {
      const held = this.#claimOf.get(id);
      if (held?.worker === workerId) claims.add(held.claim);
    }
    return [...claims];
  }

  claimOf(executionId: string, workerId: string): string | undefined {
    const held = this.#claimOf.get(executionId);
    return held?.worker === workerId ? held.claim : undefined;
  }

  /**
   * The claims that these executions ending or going back would leave holding nothing: the
   * statement that ends them deletes those too. Nothing is forgotten until `settle`, after the
   * statement succeeds (a failed one is tried again, or leaves the claims to their lease's expiry).
   */
  emptiedBy(executionIds: Iterable<string>, workerId: string): string[] {
    const settling = new Map<string, number>();
    for (const id of executionIds) {
      const held = this.#claimOf.get(id);
      if (held?.worker === workerId) settling.set(held.claim, (settling.get(held.claim) ?? 0) + 1);
    }
    return [...settling].filter(([claim, count]) => count >= (this.#open.get(claim) ?? 0)).map(([claim]) => claim);
  }

  /** Forgets these executions of this worker (any worker's, without one): ended, lost or handed back. */
  settle(executionIds: Iterable<string>, workerId?: string): void {
    for (const id of executionIds) {
      const held = this.#claimOf.get(id);
      if (held === undefined || (workerId !== undefined && held.worker !== workerId)) continue;
      this.#claimOf.delete(id);
      const open = (this.#open.get(held.claim) ?? 1) - 1;
      if (open > 0) {
        this.#open.set(held.claim, open);
      } else {
        this.#open.delete(held.claim);
        this.#claimedAt.delete(held.claim);
      }
    }
  }
}
