/** One benchmark line: a median over repeated runs (these machines are shared and noisy). */
export interface BenchResult {
  readonly name: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly note?: string;
}

export async function measure(name: string, runs: number, body: () => Promise<void>): Promise<BenchResult> {
  await body(); // warm-up: JIT and caches, not measured
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await body();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return {
    name,
    runs,
    medianMs: samples[Math.floor(samples.length / 2)]!,
    minMs: samples[0]!,
    maxMs: samples[samples.length - 1]!,
  };
}

export function formatResults(title: string, results: readonly BenchResult[]): string {
  const rows = results.map(
    (result) =>
      `| ${result.name} | ${result.medianMs.toFixed(1)} | ${result.minMs.toFixed(1)} | ${result.maxMs.toFixed(1)} | ${result.runs} | ${result.note ?? ''} |`,
  );
  return [
    `### ${title}`,
    '',
    '| benchmark | median ms | min ms | max ms | runs | note |',
    '|---|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
