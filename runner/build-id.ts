/**
 * Build IDs as Prow makes them: snowflake IDs (41 bits of milliseconds since Twitter's epoch, 10
 * bits of node, 12 bits of sequence), so they sort by time across runners and look like Prow's
 * 19-digit numbers in every URL and GCS path users already know.
 */
const TWITTER_EPOCH = 1288834974657n;
let lastMs = 0n;
let sequence = 0n;
const node = BigInt(Math.floor(Math.random() * 1024));

export function newBuildId(nowMs: number = Date.now()): string {
  let ms = BigInt(Math.floor(nowMs));
  if (ms <= lastMs) {
    // Same (or an earlier) millisecond: count up, borrowing the next millisecond when full.
    sequence = (sequence + 1n) & 0xfffn;
    if (sequence === 0n) lastMs += 1n;
    ms = lastMs;
  } else {
    sequence = 0n;
    lastMs = ms;
  }
  return (((ms - TWITTER_EPOCH) << 22n) | (node << 12n) | sequence).toString();
}
