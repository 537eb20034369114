// Particles advected by the learned field with fading trails. Two factories with one interface:
// WebGL2 (particle state in float textures, ping-pong) and a Canvas2D fallback.
import type { View } from '../io/session';
import { VIRIDIS_GLSL, viridis } from './colormap';
import { sampleField, type FieldGrid } from './field';

export interface ParticleRenderer {
  readonly kind: 'webgl2' | 'canvas2d';
  /** particles drawn now */
  readonly count: number;
  /** New field samples and/or view. */
  update(field: FieldGrid | null, view: View): void;
  /** One animation frame, advecting by `seconds` of flow time on screen. */
  draw(seconds: number): void;
  /** Changes the number of particles (trails are kept). */
  setCount(n: number): void;
  resize(width: number, height: number): void;
  /** Removes every trail (e.g. after the view changes). */
  clear(): void;
  dispose(): void;
}

const BACKGROUND: [number, number, number] = [0.055, 0.067, 0.09];

/** Screen speed: a particle at the field's typical speed crosses this fraction of the view per second. */
export const VIEW_FRACTION_PER_SECOND = 0.18;

/** World-time step of one frame: elapsed wall time (clamped, so a stalled tab does not jump) scaled to the view. */
export function advectStep(seconds: number, viewWidth: number, speedScale: number): number {
  return (VIEW_FRACTION_PER_SECOND * Math.min(0.1, Math.max(0, seconds)) * viewWidth) / speedScale;
}

/** Particle lifetime in seconds (before respawning somewhere random). */
const LIFETIME_S = 1.5;

const QUAD_VS = `#version 300 es
const vec2 P[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
out vec2 uv;
void main() { vec2 p = P[gl_VertexID]; uv = 0.5 * (p + 1.0); gl_Position = vec4(p, 0.0, 1.0); }`;

const UPDATE_FS = `#version 300 es
precision highp float;
uniform highp sampler2D u_state;
uniform highp sampler2D u_field;
uniform vec4 u_bounds;  // field grid: xmin, xmax, ymin, ymax
uniform ivec2 u_n;      // field grid size
uniform vec4 u_view;    // visible world rectangle
uniform float u_dt, u_seed, u_maxAge, u_frameSeconds;
out vec4 o;
float hash(vec2 p) { return fract(sin(dot(p, vec2(12.9898, 78.233))) * 43758.5453); }
vec2 vel(vec2 p) {
  vec2 f = (p - u_bounds.xz) / (u_bounds.yw - u_bounds.xz) * vec2(u_n - 1);
  if (any(lessThan(f, vec2(0.0))) || any(greaterThan(f, vec2(u_n - 1)))) return vec2(0.0);
  ivec2 c = min(ivec2(floor(f)), u_n - 2);
  vec2 t = f - vec2(c);
  vec2 a = texelFetch(u_field, c, 0).xy, b = texelFetch(u_field, c + ivec2(1, 0), 0).xy;
  vec2 d = texelFetch(u_field, c + ivec2(0, 1), 0).xy, e = texelFetch(u_field, c + ivec2(1, 1), 0).xy;
  return mix(mix(a, b, t.x), mix(d, e, t.x), t.y);
}
void main() {
  vec4 s = texelFetch(u_state, ivec2(gl_FragCoord.xy), 0);
  vec2 p = s.xy;
  vec2 v1 = vel(p);
  vec2 v2 = vel(p + 0.5 * u_dt * v1);
  vec2 np = p + u_dt * v2;
  float age = s.z + u_frameSeconds;
  float r = hash(gl_FragCoord.xy + u_seed);
  bool outside = np.x < u_view.x || np.x > u_view.y || np.y < u_view.z || np.y > u_view.w;
  if (outside || age > u_maxAge * (0.5 + r)) {
    np = vec2(mix(u_view.x, u_view.y, hash(gl_FragCoord.xy * 1.37 + u_seed + 0.1)),
              mix(u_view.z, u_view.w, hash(gl_FragCoord.yx * 0.73 + u_seed + 3.1)));
    age = 0.0;
  }
  o = vec4(np, age, length(v2));
}`;

const POINTS_VS = `#version 300 es
uniform highp sampler2D u_state;
uniform int u_res;
uniform vec4 u_view;
uniform float u_speedScale, u_size;
out float v_speed;
void main() {
  vec4 s = texelFetch(u_state, ivec2(gl_VertexID % u_res, gl_VertexID / u_res), 0);
  vec2 ndc = (s.xy - u_view.xz) / (u_view.yw - u_view.xz) * 2.0 - 1.0;
  gl_Position = s.z <= 0.0 ? vec4(2.0, 2.0, 0.0, 1.0) : vec4(ndc, 0.0, 1.0);
  gl_PointSize = u_size;
  v_speed = s.w / u_speedScale;
}`;

const POINTS_FS = `#version 300 es
precision highp float;
in float v_speed;
out vec4 o;
${VIRIDIS_GLSL}
void main() { o = vec4(0.85 * viridis(0.15 + 0.85 * clamp(v_speed, 0.0, 1.0)), 0.85); }`;

const FADE_FS = `#version 300 es
precision highp float;
uniform sampler2D u_tex;
uniform float u_fade;
in vec2 uv;
out vec4 o;
void main() { o = texture(u_tex, uv) * u_fade; }`;

const SCREEN_FS = `#version 300 es
precision highp float;
uniform sampler2D u_tex;
uniform vec3 u_bg;
in vec2 uv;
out vec4 o;
void main() { vec4 c = texture(u_tex, uv); o = vec4(u_bg * (1.0 - c.a) + c.rgb, 1.0); }`;

function compile(gl: WebGL2RenderingContext, vs: string, fs: string): WebGLProgram {
  const prog = gl.createProgram()!;
  for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]] as const) {
    const sh = gl.createShader(type)!;
    gl.shaderSource(sh, src);
    gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(sh)}`);
    gl.attachShader(prog, sh);
  }
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(prog)}`);
  return prog;
}

function randomState(res: number, v: View): Float32Array {
  const s = new Float32Array(4 * res * res);
  for (let i = 0; i < res * res; i++) {
    s[4 * i] = v.xmin + Math.random() * (v.xmax - v.xmin);
    s[4 * i + 1] = v.ymin + Math.random() * (v.ymax - v.ymin);
    s[4 * i + 2] = Math.random() * LIFETIME_S;
  }
  return s;
}

/** WebGL2 particles; throws if WebGL2 or float render targets are missing (use the Canvas2D one then). */
export function createGlParticles(canvas: HTMLCanvasElement, initialCount = 20000): ParticleRenderer {
  const context = canvas.getContext('webgl2', { premultipliedAlpha: false, preserveDrawingBuffer: true, antialias: false });
  if (!context) throw new Error('WebGL2 is not available');
  const gl: WebGL2RenderingContext = context;
  if (!gl.getExtension('EXT_color_buffer_float')) throw new Error('float render targets are not available');
  let res = Math.ceil(Math.sqrt(initialCount));
  const update = compile(gl, QUAD_VS, UPDATE_FS);
  const points = compile(gl, POINTS_VS, POINTS_FS);
  const fade = compile(gl, QUAD_VS, FADE_FS);
  const screen = compile(gl, QUAD_VS, SCREEN_FS);
  const vao = gl.createVertexArray();
  const u = (p: WebGLProgram, n: string) => gl.getUniformLocation(p, n);

  const texture = (w: number, h: number, internal: number, format: number, type: number, data: ArrayBufferView | null, filter: number) => {
    const t = gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.texImage2D(gl.TEXTURE_2D, 0, internal, w, h, 0, format, type, data);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    return t;
  };
  const framebuffer = (t: WebGLTexture) => {
    const fb = gl.createFramebuffer()!;
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, t, 0);
    return fb;
  };

  let view: View = { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };
  let field: FieldGrid | null = null;
  let fieldTex: WebGLTexture | null = null;
  let state = [0, 1].map(() => texture(res, res, gl.RGBA32F, gl.RGBA, gl.FLOAT, randomState(res, view), gl.NEAREST));
  let stateFb = state.map(framebuffer);
  let trail: WebGLTexture[] = [];
  let trailFb: WebGLFramebuffer[] = [];
  let frame = 0;

  function makeTrails() {
    trail.forEach((t) => gl.deleteTexture(t));
    trailFb.forEach((f) => gl.deleteFramebuffer(f));
    trail = [0, 1].map(() => texture(canvas.width, canvas.height, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, null, gl.LINEAR));
    trailFb = trail.map(framebuffer);
    clearTrails();
  }
  function clearTrails() {
    for (const fb of trailFb) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
    }
  }
  function reseed() {
    for (const t of state) {
      gl.bindTexture(gl.TEXTURE_2D, t);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, res, res, gl.RGBA, gl.FLOAT, randomState(res, view));
    }
  }
  makeTrails();

  return {
    kind: 'webgl2',
    get count() {
      return res * res;
    },
    setCount(n) {
      const next = Math.max(1, Math.ceil(Math.sqrt(n)));
      if (next === res) return;
      res = next;
      state.forEach((t) => gl.deleteTexture(t));
      stateFb.forEach((f) => gl.deleteFramebuffer(f));
      state = [0, 1].map(() => texture(res, res, gl.RGBA32F, gl.RGBA, gl.FLOAT, randomState(res, view), gl.NEAREST));
      stateFb = state.map(framebuffer);
    },
    update(f, v) {
      const viewChanged = v.xmin !== view.xmin || v.xmax !== view.xmax || v.ymin !== view.ymin || v.ymax !== view.ymax;
      view = v;
      field = f;
      if (f) {
        if (!fieldTex) fieldTex = gl.createTexture();
        gl.bindTexture(gl.TEXTURE_2D, fieldTex);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RG32F, f.spec.nx, f.spec.ny, 0, gl.RG, gl.FLOAT, f.values);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      }
      if (viewChanged) {
        reseed();
        clearTrails();
      }
    },
    draw(seconds) {
      gl.bindVertexArray(vao);
      gl.disable(gl.BLEND);
      if (field && fieldTex) {
        // 1. advect: state[0] → state[1]
        gl.useProgram(update);
        gl.bindFramebuffer(gl.FRAMEBUFFER, stateFb[1]);
        gl.viewport(0, 0, res, res);
        gl.activeTexture(gl.TEXTURE0);
        gl.bindTexture(gl.TEXTURE_2D, state[0]);
        gl.uniform1i(u(update, 'u_state'), 0);
        gl.activeTexture(gl.TEXTURE1);
        gl.bindTexture(gl.TEXTURE_2D, fieldTex);
        gl.uniform1i(u(update, 'u_field'), 1);
        const s = field.spec;
        gl.uniform4f(u(update, 'u_bounds'), s.xmin, s.xmax, s.ymin, s.ymax);
        gl.uniform2i(u(update, 'u_n'), s.nx, s.ny);
        gl.uniform4f(u(update, 'u_view'), view.xmin, view.xmax, view.ymin, view.ymax);
        gl.uniform1f(u(update, 'u_dt'), advectStep(seconds, view.xmax - view.xmin, field.speedScale));
        gl.uniform1f(u(update, 'u_seed'), (frame++ % 997) * 0.618);
        gl.uniform1f(u(update, 'u_maxAge'), LIFETIME_S);
        gl.uniform1f(u(update, 'u_frameSeconds'), Math.min(0.1, Math.max(0, seconds)));
        gl.drawArrays(gl.TRIANGLES, 0, 3);
        state.reverse();
        stateFb.reverse();
      }
      // 2. fade the previous trails into the other trail buffer, 3. add the particles
      gl.bindFramebuffer(gl.FRAMEBUFFER, trailFb[1]);
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.useProgram(fade);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, trail[0]);
      gl.uniform1i(u(fade, 'u_tex'), 0);
      gl.uniform1f(u(fade, 'u_fade'), Math.pow(0.9, Math.min(6, Math.max(0, seconds) * 60)));
      gl.drawArrays(gl.TRIANGLES, 0, 3);
      if (field) {
        gl.useProgram(points);
        gl.activeTexture(gl.TEXTURE0);
        gl.bindTexture(gl.TEXTURE_2D, state[0]);
        gl.uniform1i(u(points, 'u_state'), 0);
        gl.uniform1i(u(points, 'u_res'), res);
        gl.uniform4f(u(points, 'u_view'), view.xmin, view.xmax, view.ymin, view.ymax);
        gl.uniform1f(u(points, 'u_speedScale'), field.speedScale);
        gl.uniform1f(u(points, 'u_size'), Math.max(1, Math.round(window.devicePixelRatio || 1)));
        gl.drawArrays(gl.POINTS, 0, res * res);
      }
      trail.reverse();
      trailFb.reverse();
      // 4. composite onto the background
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.useProgram(screen);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, trail[0]);
      gl.uniform1i(u(screen, 'u_tex'), 0);
      gl.uniform3f(u(screen, 'u_bg'), ...BACKGROUND);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    },
    resize(w, h) {
      canvas.width = w;
      canvas.height = h;
      makeTrails();
    },
    clear() {
      clearTrails();
      // ... and the canvas itself: it shows its last frame until the next draw, which a hidden layer never makes (the
      // trajectory field's particles stayed on the density plane after a task switch).
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
    },
    dispose() {
      [...state, ...trail, fieldTex].forEach((t) => t && gl.deleteTexture(t));
      [...stateFb, ...trailFb].forEach((f) => gl.deleteFramebuffer(f));
      [update, points, fade, screen].forEach((p) => gl.deleteProgram(p));
      gl.deleteVertexArray(vao);
      state = [];
      stateFb = [];
    },
  };
}

/** Canvas2D particles: fewer of them, same look. */
export function createCanvasParticles(canvas: HTMLCanvasElement, initialCount = 3000): ParticleRenderer {
  const ctx = canvas.getContext('2d')!;
  let view: View = { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };
  let field: FieldGrid | null = null;
  let count = initialCount;
  let px = new Float32Array(count), py = new Float32Array(count), age = new Float32Array(count);
  const bg = `rgb(${BACKGROUND.map((c) => Math.round(255 * c)).join(',')})`;
  const respawn = (i: number) => {
    px[i] = view.xmin + Math.random() * (view.xmax - view.xmin);
    py[i] = view.ymin + Math.random() * (view.ymax - view.ymin);
    age[i] = Math.random() * LIFETIME_S;
  };
  for (let i = 0; i < count; i++) respawn(i);
  const sx = (x: number) => ((x - view.xmin) / (view.xmax - view.xmin)) * canvas.width;
  const sy = (y: number) => (1 - (y - view.ymin) / (view.ymax - view.ymin)) * canvas.height;
  const clearAll = () => {
    ctx.globalAlpha = 1;
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clearAll();
  return {
    kind: 'canvas2d',
    get count() {
      return count;
    },
    setCount(n) {
      n = Math.max(1, Math.round(n));
      if (n === count) return;
      count = n;
      px = new Float32Array(count);
      py = new Float32Array(count);
      age = new Float32Array(count);
      for (let i = 0; i < count; i++) respawn(i);
    },
    update(f, v) {
      const changed = v.xmin !== view.xmin || v.xmax !== view.xmax || v.ymin !== view.ymin || v.ymax !== view.ymax;
      view = v;
      field = f;
      if (changed) {
        for (let i = 0; i < count; i++) respawn(i);
        clearAll();
      }
    },
    draw(seconds) {
      const s = Math.min(0.1, Math.max(0, seconds));
      ctx.globalAlpha = 1 - Math.pow(0.92, s * 60);
      ctx.fillStyle = bg;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.globalAlpha = 1;
      if (!field) return;
      const dt = advectStep(s, view.xmax - view.xmin, field.speedScale);
      ctx.lineWidth = 1.2;
      for (let i = 0; i < count; i++) {
        const [vx, vy] = sampleField(field, px[i], py[i]);
        const nx = px[i] + dt * vx, ny = py[i] + dt * vy;
        ctx.strokeStyle = viridis(0.15 + 0.85 * Math.min(1, Math.hypot(vx, vy) / field.speedScale));
        ctx.beginPath();
        ctx.moveTo(sx(px[i]), sy(py[i]));
        ctx.lineTo(sx(nx), sy(ny));
        ctx.stroke();
        px[i] = nx;
        py[i] = ny;
        age[i] += s;
        if (age[i] > LIFETIME_S || nx < view.xmin || nx > view.xmax || ny < view.ymin || ny > view.ymax) respawn(i);
      }
    },
    resize(w, h) {
      canvas.width = w;
      canvas.height = h;
      clearAll();
    },
    clear: clearAll,
    dispose() {},
  };
}
