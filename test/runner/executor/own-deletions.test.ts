import { describe, expect, it } from 'vitest';
import { OwnDeletions } from '../../../runner/executor/own-deletions';

/** Which disappearances of pods are the executor's own doing, by UID, whatever order the events come in. */
describe('own deletions', () => {
  function tracking(): OwnDeletions {
    const deletions = new OwnDeletions();
    deletions.tracking = true;
    return deletions;
  }

  it('claims a deleted pod once, by its UID, and not a new pod of the same name', () => {
    const deletions = tracking();
    deletions.begin('job-a');
    deletions.end('job-a', 'uid-1');
    expect(deletions.claim('job-a', 'uid-2')).toBe(false);
    expect(deletions.claim('job-a', 'uid-1')).toBe(true);
    expect(deletions.claim('job-a', 'uid-1')).toBe(false);
  });

  it('claims a DELETED event that arrives while the delete request is still under way', () => {
    const deletions = tracking();
    deletions.begin('job-a');
    expect(deletions.claim('job-a', 'uid-1')).toBe(true);
    deletions.end('job-a', 'uid-1');
    // The event was already consumed: a later one for the same UID is not ours to claim.
    expect(deletions.claim('job-a', 'uid-1')).toBe(false);
  });

  it('forgets deletions whose pods a fresh list no longer has, and everything once no watch runs', () => {
    const deletions = tracking();
    for (const [name, uid] of [['job-a', 'uid-a'], ['job-b', 'uid-b']] as const) {
      deletions.begin(name);
      deletions.end(name, uid);
    }
    deletions.keepOnly(new Set(['uid-b']));
    expect(deletions.claim('job-a', 'uid-a')).toBe(false);
    deletions.stopTracking();
    expect(deletions.claim('job-b', 'uid-b')).toBe(false);
  });

  it('records nothing while no watch runs', () => {
    const deletions = new OwnDeletions();
    deletions.begin('job-a');
    deletions.end('job-a', 'uid-1');
    deletions.tracking = true;
    expect(deletions.claim('job-a', 'uid-1')).toBe(false);
  });
});
