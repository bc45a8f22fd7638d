// Canvas drawing: contours with paths, and the loss against the step. No arithmetic of
// the optimizers here: the points, losses and rates all come from the server's answer.

export const COLORS = ["#1f6fd1", "#d62728", "#1a9a3a", "#e67e00", "#8e44ad", "#8c564b", "#d0369a", "#0f9fb0"];
const PAD = { left: 52, right: 12, top: 10, bottom: 38 };
const FAR = 1e5; // pixel coordinates are clamped to this, for paths that ran away

export function prepare(canvas) {
  // draw at the device's resolution, keep the canvas's CSS size
  const dpr = window.devicePixelRatio || 1;
  if (!canvas.dataset.cssWidth) {
    canvas.dataset.cssWidth = canvas.width;
    canvas.dataset.cssHeight = canvas.height;
    canvas.style.width = canvas.width + "px";
    canvas.style.height = canvas.height + "px";
    canvas.width = Math.round(canvas.width * dpr);
    canvas.height = Math.round(canvas.height * dpr);
  }
  const w = Number(canvas.dataset.cssWidth);
  const h = Number(canvas.dataset.cssHeight);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(canvas.width / w, 0, 0, canvas.height / h, 0, 0);
  return { ctx, w, h, x0: PAD.left, x1: w - PAD.right, y0: PAD.top, y1: h - PAD.bottom };
}

function clamp(v) {
  return Math.max(-FAR, Math.min(FAR, v));
}

// Coordinates of the plane <-> pixels of the contour plot's frame.
export function planeView(frame, extent) {
  const [ex0, ex1, ey0, ey1] = extent;
  return {
    toPx: ([x, y]) => [
      clamp(frame.x0 + ((x - ex0) / (ex1 - ex0)) * (frame.x1 - frame.x0)),
      clamp(frame.y1 - ((y - ey0) / (ey1 - ey0)) * (frame.y1 - frame.y0)),
    ],
    fromPx: (px, py) => [
      ex0 + ((px - frame.x0) / (frame.x1 - frame.x0)) * (ex1 - ex0),
      ey0 + ((frame.y1 - py) / (frame.y1 - frame.y0)) * (ey1 - ey0),
    ],
    inside: (px, py) => px >= frame.x0 && px <= frame.x1 && py >= frame.y0 && py <= frame.y1,
  };
}

function niceTicks(low, high, count = 6) {
  const span = high - low;
  if (!(span > 0)) return [low];
  const raw = span / count;
  const base = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * base).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

// A pale viridis-like ramp: t in [0, 1] -> [r, g, b].
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function ramp(t) {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return RAMP[i].map((c, k) => 0.45 * (c + f * (RAMP[i + 1][k] - c)) + 0.55 * 255);
}

function band(levels, z) {
  // where z falls among the contour levels, as a fraction of them
  const n = levels.length;
  if (z <= levels[0]) return 0;
  if (z >= levels[n - 1]) return 1;
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (levels[mid] <= z) lo = mid; else hi = mid;
  }
  return (lo + (z - levels[lo]) / (levels[hi] - levels[lo])) / (n - 1);
}

// The coloured loss and its contour lines, drawn once per surface into an image.
export function background(canvas, surface) {
  const frame = prepare(canvas);
  const scale = canvas.width / frame.w;
  const W = Math.round((frame.x1 - frame.x0) * scale), H = Math.round((frame.y1 - frame.y0) * scale);
  const image = new ImageData(W, H);
  const { nx, ny, z, levels } = surface;
  for (let j = 0; j < H; j++) {
    const gy = (1 - (j + 0.5) / H) * (ny - 1);
    const r0 = Math.min(ny - 2, Math.floor(gy)), fy = gy - r0;
    for (let i = 0; i < W; i++) {
      const gx = ((i + 0.5) / W) * (nx - 1);
      const c0 = Math.min(nx - 2, Math.floor(gx)), fx = gx - c0;
      const a = z[r0 * nx + c0], b = z[r0 * nx + c0 + 1], c = z[(r0 + 1) * nx + c0], d = z[(r0 + 1) * nx + c0 + 1];
      const value = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d);
      const [r, g, bl] = ramp(band(levels, value));
      const k = 4 * (j * W + i);
      image.data[k] = r; image.data[k + 1] = g; image.data[k + 2] = bl; image.data[k + 3] = 255;
    }
  }
  const off = document.createElement("canvas");
  off.width = W; off.height = H;
  off.getContext("2d").putImageData(image, 0, 0);
  return off;
}

function axes(ctx, frame, xticks, yticks, xlabel, ylabel, toX, toY, formatY) {
  ctx.strokeStyle = "#9aa3b0"; ctx.lineWidth = 1;
  ctx.strokeRect(frame.x0, frame.y0, frame.x1 - frame.x0, frame.y1 - frame.y0);
  ctx.fillStyle = "#3a4350"; ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const t of xticks) {
    const x = toX(t);
    if (x < frame.x0 - 0.5 || x > frame.x1 + 0.5) continue;
    ctx.beginPath(); ctx.moveTo(x, frame.y1); ctx.lineTo(x, frame.y1 + 4); ctx.stroke();
    ctx.fillText(String(t), x, frame.y1 + 6);
  }
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const t of yticks) {
    const y = toY(t);
    if (y < frame.y0 - 0.5 || y > frame.y1 + 0.5) continue;
    ctx.beginPath(); ctx.moveTo(frame.x0 - 4, y); ctx.lineTo(frame.x0, y); ctx.stroke();
    ctx.fillText(formatY ? formatY(t) : String(t), frame.x0 - 6, y);
  }
  ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  ctx.fillText(xlabel, (frame.x0 + frame.x1) / 2, frame.y1 + 36);
  ctx.save(); ctx.translate(12, (frame.y0 + frame.y1) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle"; ctx.fillText(ylabel, 0, 0); ctx.restore();
}

function polyline(ctx, points, toPx, upto) {
  ctx.beginPath();
  const n = Math.min(points.length, upto + 1);
  for (let k = 0; k < n; k++) {
    const [px, py] = toPx(points[k]);
    if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
  }
  ctx.stroke();
}

function marker(ctx, [px, py], fill, stroke, r = 4.5) {
  ctx.beginPath(); ctx.arc(px, py, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill; ctx.fill(); ctx.lineWidth = 1.5; ctx.strokeStyle = stroke; ctx.stroke();
}

// Paths up to `step` over the contours of `surface`.
export function drawPlane(canvas, image, surface, result, step, axisNames) {
  const frame = prepare(canvas);
  const { ctx } = frame;
  ctx.clearRect(0, 0, frame.w, frame.h);
  const view = planeView(frame, surface.extent);
  ctx.drawImage(image, frame.x0, frame.y0, frame.x1 - frame.x0, frame.y1 - frame.y0);
  ctx.save();
  ctx.beginPath(); ctx.rect(frame.x0, frame.y0, frame.x1 - frame.x0, frame.y1 - frame.y0); ctx.clip();
  ctx.strokeStyle = "rgba(40, 50, 70, 0.35)"; ctx.lineWidth = 0.8;
  for (const line of surface.contours) polyline(ctx, line.points, view.toPx, Infinity);
  if (result) {
    if (result.minimum) {
      const [mx, my] = view.toPx(result.minimum);
      ctx.strokeStyle = "#111"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(mx - 7, my); ctx.lineTo(mx + 7, my); ctx.moveTo(mx, my - 7); ctx.lineTo(mx, my + 7); ctx.stroke();
    }
    result.runs.forEach((run, i) => {
      const color = COLORS[i % COLORS.length];
      ctx.lineJoin = "round";
      if (run.full_batch) {
        ctx.setLineDash([5, 4]); ctx.strokeStyle = color; ctx.globalAlpha = 0.65; ctx.lineWidth = 1.5;
        polyline(ctx, run.full_batch.path, view.toPx, step);
        ctx.setLineDash([]); ctx.globalAlpha = 1;
      }
      ctx.strokeStyle = color; ctx.lineWidth = 2;
      polyline(ctx, run.path, view.toPx, step);
      const last = Math.min(step, run.path.length - 1);
      const at = view.toPx(run.path[last]);
      if (run.stopped && step >= run.path.length - 1) {
        ctx.strokeStyle = color; ctx.lineWidth = 3;
        ctx.beginPath(); ctx.moveTo(at[0] - 6, at[1] - 6); ctx.lineTo(at[0] + 6, at[1] + 6);
        ctx.moveTo(at[0] + 6, at[1] - 6); ctx.lineTo(at[0] - 6, at[1] + 6); ctx.stroke();
      } else {
        marker(ctx, at, color, "#fff", 5);
      }
    });
    marker(ctx, view.toPx(result.start), "#fff", "#111", 5);
  }
  ctx.restore();
  const [ex0, ex1, ey0, ey1] = surface.extent;
  axes(ctx, frame, niceTicks(ex0, ex1, 8), niceTicks(ey0, ey1, 6), axisNames[0], axisNames[1],
    (x) => view.toPx([x, ey0])[0], (y) => view.toPx([ex0, y])[1]);
  return view;
}

// What the loss plot shows for a run: the loss above the minimum (log scale) when the
// minimum is known, else the loss itself.
export function lossSeries(result) {
  const known = result.minimum_loss !== null && result.minimum_loss !== undefined;
  const floor = known ? 1e-16 * Math.max(1, Math.abs(result.minimum_loss)) : 0;
  const map = (values) => values.map((v) => (known ? Math.max(v - result.minimum_loss, floor) : v));
  return { log: known, map };
}

export function drawLosses(canvas, result, step, options = {}) {
  const frame = prepare(canvas);
  const { ctx } = frame;
  ctx.clearRect(0, 0, frame.w, frame.h);
  if (!result) return;
  const { log, map } = lossSeries(result);
  const series = result.runs.map((run) => ({ main: map(run.loss), full: run.full_batch ? map(run.full_batch.loss) : null }));
  const all = series.flatMap((s) => (s.full ? s.main.concat(s.full) : s.main));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (log) {
    lo = Math.max(lo, hi * 1e-24);
    lo = Math.floor(Math.log10(lo)); hi = Math.ceil(Math.log10(hi));
    if (hi - lo < 1) hi = lo + 1;
  } else if (!(hi > lo)) { hi = lo + 1; }
  const steps = result.steps;
  const toX = (k) => frame.x0 + (k / Math.max(1, steps)) * (frame.x1 - frame.x0);
  const toY = (v) => {
    const t = log ? Math.log10(Math.max(v, 1e-300)) : v;
    return Math.max(-FAR, Math.min(FAR, frame.y1 - ((t - lo) / (hi - lo)) * (frame.y1 - frame.y0)));
  };
  ctx.save();
  ctx.beginPath(); ctx.rect(frame.x0, frame.y0, frame.x1 - frame.x0, frame.y1 - frame.y0); ctx.clip();
  const line = (values, upto, color, width, dash) => {
    ctx.setLineDash(dash || []); ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
    values.slice(0, upto + 1).forEach((v, k) => (k ? ctx.lineTo(toX(k), toY(v)) : ctx.moveTo(toX(k), toY(v))));
    ctx.stroke(); ctx.setLineDash([]);
  };
  // theory on the quadratic: the loss shrinks by rate² per step (it is quadratic in the error)
  if (result.theory) {
    const best = result.theory.heavy_ball_optimal.rate;
    const first = series[0].main[0];
    line(Array.from({ length: steps + 1 }, (_, k) => first * best ** (2 * k)), steps, "#555", 1.2, [2, 3]);
    result.runs.forEach((run, i) => {
      const rate = run.rate && run.rate.theory;
      if (!rate || run.stopped) return;
      const values = series[i].main, last = values.length - 1;
      const anchor = values[last];
      const theory = values.map((_, k) => anchor * rate ** (2 * (k - last)));
      line(theory, steps, COLORS[i % COLORS.length], 1.2, [7, 4]);
    });
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.full) { ctx.globalAlpha = 0.65; line(s.full, step, color, 1.5, [5, 4]); ctx.globalAlpha = 1; }
    line(s.main, step, color, 2);
  });
  ctx.strokeStyle = "rgba(0,0,0,0.35)"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(toX(step), frame.y0); ctx.lineTo(toX(step), frame.y1); ctx.stroke();
  ctx.restore();
  const yticks = log ? niceTicks(lo, hi, 6).filter(Number.isInteger) : niceTicks(lo, hi, 6);
  axes(ctx, frame, niceTicks(0, steps, 8), log ? yticks.map((t) => 10 ** t) : yticks, "step",
    options.ylabel || (log ? "loss − minimum (log)" : "loss"), toX, toY,
    log ? (v) => `1e${Math.round(Math.log10(v))}` : (v) => String(v));
}
