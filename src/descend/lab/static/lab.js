// descend lab: the page's controls and its conversation with the server.
// Every path, loss, rate and state shown comes from POST /api/run; this file holds no
// update rule, only settings, requests and drawing calls.

import { defaultState, formatURL, parseURL, runRequest } from "./state.js";
import { COLORS, background, drawLosses, drawPlane } from "./draw.js";
import { el, fmt, label, renderInspector, renderTheory, swatch } from "./panels.js";

const $ = (id) => document.getElementById(id);
// the page's state, open to the browser's console (and to the tests)
const lab = (window.lab = { state: defaultState(), specs: [], surfaces: [], result: null, redraws: 0, runs: 0, pending: true, ready: false });
const surfaceCache = new Map();
const SLIDER = 1000;

async function api(path, body, signal) {
  const init = body === undefined ? { signal } : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal };
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) throw new Error((data.field ? `${data.field}: ` : "") + data.error);
  return data;
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

const specOf = (name) => lab.specs.find((s) => s.name === name);
const surfaceInfo = () => lab.surfaces.find((s) => s.name === lab.state.surface);
const tunedRate = (name) => surfaceInfo().learning_rates[name] ?? specOf(name).learning_rate.default;

// -- sliders: a range input 0..SLIDER over [min, max], linear or log ------------------------
function toSlider(p, value) {
  const t = p.scale === "log" ? Math.log(value / p.min) / Math.log(p.max / p.min) : (value - p.min) / (p.max - p.min);
  return Math.round(Math.max(0, Math.min(1, t)) * SLIDER);
}
function fromSlider(p, position) {
  const t = position / SLIDER;
  const value = p.scale === "log" ? p.min * (p.max / p.min) ** t : p.min + t * (p.max - p.min);
  return Number(value.toPrecision(4));
}

function numberSetting(p, value, onChange, data) {
  const number = el("input", { type: "number", step: p.type === "int" ? "1" : "any", "aria-label": p.name, ...data });
  number.value = value;
  const box = el("div", { class: "setting" }, el("label", { class: "row" }, el("span", { class: "formula", title: p.name }, p.symbol), number));
  let range = null;
  if (p.min !== null && p.max !== null && p.min !== undefined) {
    range = el("input", { type: "range", min: 0, max: SLIDER, step: 1, "aria-label": `${p.name} slider`, ...data });
    range.value = value >= p.min || p.scale !== "log" ? toSlider(p, value) : 0;
    range.addEventListener("input", () => {
      const v = p.type === "int" ? Math.round(fromSlider(p, Number(range.value))) : fromSlider(p, Number(range.value));
      number.value = v;
      onChange(v);
    });
    box.append(range);
  }
  number.addEventListener("change", () => {
    const v = p.type === "int" ? Math.round(Number(number.value)) : Number(number.value);
    if (number.value === "" || !Number.isFinite(v)) return status(`${p.name} must be a number`, true);
    if (range) range.value = toSlider(p, v);
    onChange(v);
  });
  return box;
}

// -- the settings panel ------------------------------------------------------------------
function renderOptimizers() {
  const box = $("optimizers");
  box.replaceChildren();
  lab.state.optimizers.forEach((entry, i) => {
    const spec = specOf(entry.name);
    const card = el("div", { class: "card", style: `--color: ${COLORS[i % COLORS.length]}`, "data-index": i });
    const remove = el("button", { type: "button", class: "remove", "aria-label": `remove ${entry.name}`, title: "remove" }, "×");
    remove.addEventListener("click", () => {
      lab.state.optimizers.splice(i, 1);
      lab.state.inspect = null;
      renderOptimizers();
      changed();
    });
    card.append(el("header", {}, el("strong", { title: spec.summary }, swatch(i), entry.name), remove));
    const set = (key) => (v) => { entry.settings[key] = v; changed(); };
    card.append(numberSetting(spec.learning_rate, entry.settings.learning_rate, set("learning_rate"), { "data-optimizer": i, "data-setting": "learning_rate" }));
    const flags = el("div");
    for (const p of spec.parameters) {
      const value = entry.settings[p.name] ?? p.default;
      if (p.type === "bool") {
        const box = el("input", { type: "checkbox", "data-optimizer": i, "data-setting": p.name });
        box.checked = value;
        box.addEventListener("change", () => set(p.name)(box.checked));
        flags.append(el("label", { class: "flag" }, box, " " + p.name));
      } else {
        card.append(numberSetting(p, value, set(p.name), { "data-optimizer": i, "data-setting": p.name }));
      }
    }
    if (flags.childElementCount) card.append(flags);
    box.append(card);
  });
  $("add").disabled = lab.state.optimizers.length >= lab.limits.max_optimizers;
}

function addOptimizer(name, settings = {}) {
  if (lab.state.optimizers.length >= lab.limits.max_optimizers) return;
  lab.state.optimizers.push({ name, settings: { learning_rate: tunedRate(name), ...settings } });
  renderOptimizers();
  changed();
}

function logSlider(min, max, value) {
  return Math.round((Math.log(value / min) / Math.log(max / min)) * SLIDER);
}
function fromLogSlider(min, max, position) {
  return min * (max / min) ** (position / SLIDER);
}

function renderSurfaceControls() {
  const info = surfaceInfo();
  const state = lab.state;
  $("surface").value = state.surface;
  $("surface-title").textContent = info.title;
  const params = $("surface-parameters");
  params.replaceChildren();
  for (const p of info.parameters) { // the quadratic's condition number
    const value = state.condition ?? p.default;
    const out = el("output", {}, `${p.symbol} = ${fmt(value)}`);
    const range = el("input", { type: "range", id: `surface-${p.name}`, min: 0, max: SLIDER, step: 1, "aria-label": p.name });
    range.value = logSlider(p.min, p.max, value);
    range.addEventListener("input", () => {
      const v = Number(fromLogSlider(p.min, p.max, Number(range.value)).toPrecision(3));
      state.condition = v;
      out.textContent = `${p.symbol} = ${fmt(v)}`;
      changed();
    });
    params.append(el("label", { class: "row", for: `surface-${p.name}` }, `condition number`, out), range);
  }
  $("steps").value = state.steps ?? info.steps;
  $("steps").max = lab.limits.max_steps;
  $("batch-row").hidden = !info.n_examples;
  if (info.n_examples) {
    const n = info.n_examples;
    const size = state.batch ?? n;
    $("batch").value = logSlider(1, n, size);
    $("seed").value = state.seed;
    batchLabel(size, n);
  }
}

function batchLabel(size, n) {
  const kind = size === n ? "batch GD" : size === 1 ? "SGD" : "mini-batch";
  $("batch-label").textContent = `${size} of ${n} (${kind})`;
}

function bindStatic() {
  for (const s of lab.surfaces) $("surface").append(el("option", { value: s.name }, s.name));
  for (const s of lab.specs) $("add-name").append(el("option", { value: s.name }, s.name));
  $("surface").addEventListener("change", () => {
    const state = lab.state;
    state.surface = $("surface").value;
    Object.assign(state, { condition: null, steps: null, batch: null, start: null, step: null });
    for (const entry of state.optimizers) entry.settings.learning_rate = tunedRate(entry.name);
    renderSurfaceControls();
    renderOptimizers();
    changed();
  });
  $("steps").addEventListener("change", () => {
    const v = Math.round(Number($("steps").value));
    if (!(v >= 1 && v <= lab.limits.max_steps)) return status(`steps: from 1 to ${lab.limits.max_steps}`, true);
    lab.state.steps = v;
    lab.state.step = null;
    changed();
  });
  $("batch").addEventListener("input", () => {
    const n = surfaceInfo().n_examples;
    const size = Math.max(1, Math.min(n, Math.round(fromLogSlider(1, n, Number($("batch").value)))));
    lab.state.batch = size === n ? null : size;
    batchLabel(size, n);
    changed();
  });
  $("seed").addEventListener("change", () => {
    const v = Math.round(Number($("seed").value));
    if (v >= 0) { lab.state.seed = v; changed(); }
  });
  $("reset-start").addEventListener("click", () => { lab.state.start = null; changed(); });
  $("add").addEventListener("click", () => addOptimizer($("add-name").value));
  $("copy-link").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(location.href); status("link copied"); }
    catch { status(`link: ${location.href}`); }
  });
  $("contours").addEventListener("click", (event) => {
    if (!lab.view) return;
    const rect = $("contours").getBoundingClientRect();
    const px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (!lab.view.inside(px, py)) return;
    lab.state.start = lab.view.fromPx(px, py).map((v) => Number(v.toPrecision(4)));
    changed();
  });
  $("step").addEventListener("input", () => {
    stopPlaying();
    const v = Number($("step").value);
    lab.state.step = v === Number($("step").max) ? null : v;
    redraw();
    writeURL();
  });
  $("play").addEventListener("click", () => (lab.playing ? stopPlaying() : play()));
  $("inspect").addEventListener("change", () => {
    lab.state.inspect = Number($("inspect").value);
    renderPanels();
    writeURL();
  });
}

// -- playing the steps ----------------------------------------------------------------------
function play() {
  if (!lab.result) return;
  const last = lab.result.steps;
  let step = lab.state.step ?? last;
  if (step >= last) step = 0;
  lab.playing = true;
  $("play").textContent = "❚❚";
  const per = Math.max(1, Math.round(last / 240));
  const tick = () => {
    if (!lab.playing) return;
    step = Math.min(last, step + per);
    lab.state.step = step >= last ? null : step;
    $("step").value = step;
    redraw();
    if (step >= last) { stopPlaying(); writeURL(); } else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
function stopPlaying() {
  lab.playing = false;
  $("play").textContent = "▶";
}

// -- requests ---------------------------------------------------------------------------
let timer = null, controller = null, generation = 0;

function writeURL() {
  history.replaceState(null, "", formatURL(lab.state, lab.specs));
}

function changed(delay = 80) {
  lab.pending = true;
  writeURL();
  clearTimeout(timer);
  timer = setTimeout(run, delay);
}

function surfaceData(name, condition) {
  const key = `${name}|${condition ?? ""}`;
  if (!surfaceCache.has(key)) {
    const query = new URLSearchParams({ name });
    if (condition !== null && condition !== undefined) query.set("condition", condition);
    const promise = api(`/api/surface?${query}`).then((data) => ({ data, image: background($("contours"), data) }));
    promise.catch(() => surfaceCache.delete(key));
    surfaceCache.set(key, promise);
  }
  return surfaceCache.get(key);
}

async function run() {
  if (controller) controller.abort();
  controller = new AbortController();
  const mine = ++generation;
  const state = lab.state;
  if (!state.optimizers.length) {
    lab.result = null;
    lab.pending = false;
    redraw();
    return status("add an optimizer to see its path");
  }
  status("computing…");
  const began = performance.now();
  try {
    const condition = state.surface === "quadratic" ? state.condition : null;
    const [surface, result] = await Promise.all([surfaceData(state.surface, condition), api("/api/run", runRequest(state), controller.signal)]);
    if (mine !== generation) return;
    lab.surface = surface;
    lab.result = result;
    lab.runs++;
    $("step").max = result.steps;
    if (state.step !== null && state.step > result.steps) state.step = null;
    $("step").value = state.step ?? result.steps;
    redraw();
    renderPanels();
    const broken = result.runs.filter((r) => r.stopped).map((r) => `${r.name} stopped at step ${r.stopped.step}`);
    const ms = Math.round(performance.now() - began);
    status(`${result.runs.length} optimizer(s) × ${result.steps} steps, computed by descend in ${ms} ms` + (broken.length ? ` — ${broken.join("; ")}` : ""));
  } catch (err) {
    if (err.name === "AbortError" || mine !== generation) return;
    status(err.message, true);
  } finally {
    if (mine === generation) lab.pending = false;
  }
}

function redraw() {
  const step = lab.result ? (lab.state.step ?? lab.result.steps) : 0;
  $("step-label").textContent = lab.result ? `step ${step} / ${lab.result.steps}` : "";
  if (lab.surface) lab.view = drawPlane($("contours"), lab.surface.image, lab.surface.data, lab.result, step, surfaceInfo().axes);
  drawLosses($("losses"), lab.result, step);
  if (lab.result) renderPanels(false);
  lab.redraws++;
}

function renderPanels(all = true) {
  const result = lab.result;
  if (!result) return;
  const step = lab.state.step ?? result.steps;
  if (all) {
    const select = $("inspect");
    select.replaceChildren(...result.runs.map((run, i) => el("option", { value: i }, label(run))));
    select.value = Math.min(lab.state.inspect ?? result.runs.length - 1, result.runs.length - 1);
    renderLegend(result);
    $("theory").hidden = !result.theory;
    if (result.theory) renderTheory($("theory-body"), result, { gd: useBestGD, momentum: useBestMomentum });
    const known = result.minimum_loss !== null;
    $("loss-note").textContent = (known ? "Loss above the minimum, log scale." : "Loss, linear scale.") +
      (result.batch_size ? ` Solid: mini-batches of ${result.batch_size}; dashed: batch GD from the same start with the same settings. The loss is over all the data.` : "");
  }
  const index = Number($("inspect").value) || 0;
  const spec = specOf(result.runs[index]?.name);
  $("inspect-summary").textContent = spec ? `${spec.class}: ${spec.summary}` : "";
  renderInspector($("inspect-body"), result, index, step, surfaceInfo().axes);
}

function renderLegend(result) {
  const items = result.runs.map((run, i) => el("span", { class: "item" }, swatch(i), label(run)));
  items.push(el("span", { class: "item" }, "○ start (click to move)"), el("span", { class: "item" }, "+ minimum"));
  if (result.batch_size) items.push(el("span", { class: "item" }, `dashed: batch GD`));
  if (result.stopped || result.runs.some((r) => r.stopped)) items.push(el("span", { class: "item" }, "× stopped"));
  $("legend").replaceChildren(...items);
}

function useBestGD() {
  const best = lab.result.theory.gd_optimal.learning_rate;
  for (const e of lab.state.optimizers) if (e.name === "gd") e.settings.learning_rate = Number(best.toPrecision(6));
  if (!lab.state.optimizers.some((e) => e.name === "gd")) return addOptimizer("gd", { learning_rate: Number(best.toPrecision(6)) });
  renderOptimizers();
  changed();
}

function useBestMomentum() {
  const best = lab.result.theory.heavy_ball_optimal;
  const settings = { learning_rate: Number(best.learning_rate.toPrecision(6)), beta: Number(best.beta.toPrecision(6)) };
  const mine = lab.state.optimizers.filter((e) => e.name === "momentum");
  for (const e of mine) Object.assign(e.settings, settings);
  if (!mine.length) return addOptimizer("momentum", settings);
  renderOptimizers();
  changed();
}

async function init() {
  try {
    const [optimizers, surfaces] = await Promise.all([api("/api/optimizers"), api("/api/surfaces")]);
    lab.specs = optimizers.optimizers;
    lab.limits = optimizers.limits;
    lab.surfaces = surfaces.surfaces;
    const state = parseURL(location.search, lab.specs);
    lab.state = state;
    if (!lab.surfaces.some((s) => s.name === state.surface)) state.surface = lab.surfaces[0].name;
    if (!state.optimizers.length) {
      state.optimizers = ["gd", "momentum", "adam"].filter(specOf).map((name) => ({ name, settings: { learning_rate: tunedRate(name) } }));
    }
    bindStatic();
    renderSurfaceControls();
    renderOptimizers();
    lab.ready = true;
    changed(0);
  } catch (err) {
    status(`the lab could not start: ${err.message}`, true);
  }
}

init();
