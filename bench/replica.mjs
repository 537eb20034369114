// The torchdiffeq ode_demo replica as the JS benchmarks configure it (one source for wasm/bench.mjs and
// bench/peer-tfjs.mjs; nde_bench's `replica_config` is its C++ twin): a 2-50-2 tanh net on y³, normal(0, 0.1)
// initialisation, RMSprop 1e-3, 20 windows of 10 points, the L1 loss, torchdiffeq's dopri5 tolerances.

/** The replica's trainer settings for `method` ('rk4' | 'dopri5') and `gradient` ('direct' | 'adjoint' | …). */
export const replica = (method, gradient) => ({
  hidden: [50], input: 'cube', initStd: 0.1, initOutput: 1, normalize: false, seed: 0,
  solver: { method, rtol: 1e-7, atol: 1e-9 }, gradient,
  optimizer: { name: 'rmsprop', lr: 1e-3 }, batch: { size: 20, window: 10 }, loss: 'l1',
});

/** ode_demo's data: the spiral dy/dt = y³A from (2, 0), 1,000 regular points on [0, 25], from the module `ode`. */
export const spiral = (ode) =>
  ode.sampleSystem('spiral', { trajectories: 1, points: 1000, regular: true, tEnd: 25, initial: [2, 0] }).trajectories;
