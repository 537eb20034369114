// Summary statistics of the JS benchmarks (wasm/bench.mjs, bench/peer-tfjs.mjs, web/e2e/bench-page.mjs): one definition.

/** The median of v (the upper middle one for an even count); v itself is left unsorted. */
export const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
