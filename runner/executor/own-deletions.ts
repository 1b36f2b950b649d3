/**
 * Deletions the Kubernetes executor asked for, so its pod watch does not report a pod it removed
 * itself as vanished (the runner would revive a job it just aborted). Kept by UID, not by name: a
 * job's pod may be removed and created again under the same name before the old pod's DELETED
 * event arrives.
 */
export class OwnDeletions {
  /** Pod name → delete requests under way: a DELETED event can arrive before the delete's response. */
  private readonly inFlight = new Map<string, number>();
  /** UIDs deleted by us whose DELETED event is still to come. */
  private readonly awaitingEvent = new Set<string>();
  /** UID → pod name, for DELETED events that came while the delete request was still under way. */
  private readonly seenEarly = new Map<string, string>();
  /** Only a running watch consumes what is recorded here; without one, recording would only grow. */
  tracking = false;

  begin(name: string): void {
    this.inFlight.set(name, (this.inFlight.get(name) ?? 0) + 1);
  }

  end(name: string, deletedUid: string | undefined): void {
    const remaining = (this.inFlight.get(name) ?? 1) - 1;
    if (remaining > 0) this.inFlight.set(name, remaining);
    else this.inFlight.delete(name);
    if (deletedUid !== undefined && !this.seenEarly.has(deletedUid) && this.tracking) this.awaitingEvent.add(deletedUid);
    if (remaining <= 0) {
      for (const [uid, early] of this.seenEarly) if (early === name) this.seenEarly.delete(uid);
    }
  }

  /** Whether the disappearance of this pod is our own doing; a claimed deletion is forgotten. */
  claim(name: string, uid: string | undefined): boolean {
    if (uid !== undefined && this.awaitingEvent.delete(uid)) return true;
    if (this.inFlight.has(name)) {
      if (uid !== undefined) this.seenEarly.set(uid, name);
      return true;
    }
    return false;
  }

  /** After a fresh list: deleted pods that are not in it will never send a DELETED event. */
  keepOnly(liveUids: ReadonlySet<string>): void {
    for (const uid of this.awaitingEvent) if (!liveUids.has(uid)) this.awaitingEvent.delete(uid);
  }

  stopTracking(): void {
    this.tracking = false;
    this.awaitingEvent.clear();
  }
}
