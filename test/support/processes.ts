import { readFileSync } from 'node:fs';

/** Gone, or a zombie nobody has reaped yet: either way it runs no more. */
export function processIsDead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
