// Types of wasm/api.js (the definitions live in neural-ode.d.ts).
export * from './neural-ode';
export { default } from './neural-ode';
