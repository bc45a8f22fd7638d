// The page's settings, and their form in the URL, so that a link reproduces a view.
//
// ?surface=quadratic&condition=20&steps=200&seed=0&batch=32&start=-4,1.2
//  &o=gd,learning_rate:0.09&o=momentum,learning_rate:0.09,beta:0.5&step=120&inspect=1
//
// Each `o` is an optimizer: its registry name, then `setting:value` for its
// learning rate and for every setting that differs from the default (flags as 1 or 0).

export function defaultState() {
  return {
    surface: "quadratic",
    condition: null, // the quadratic's κ; null: the server's default
    steps: null, // null: the surface's own
    seed: 0,
    batch: null, // null: every example (batch GD)
    start: null, // null: the surface's own
    optimizers: [], // [{name, settings: {learning_rate, ...}}]
    step: null, // the step shown; null: the last
    inspect: null, // the optimizer in the inspector; null: the last one
  };
}

function number(text) {
  if (text === null || text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function parseOptimizer(token, specs) {
  const [name, ...pairs] = token.split(",");
  const spec = specs.find((s) => s.name === name);
  if (!spec) return null;
  const settings = {};
  for (const pair of pairs) {
    const [key, text] = pair.split(":");
    const param = key === "learning_rate" ? spec.learning_rate : spec.parameters.find((p) => p.name === key);
    if (!param) continue;
    if (param.type === "bool") settings[key] = text === "1" || text === "true";
    else if (number(text) !== null) settings[key] = number(text);
  }
  return { name, settings };
}

export function parseURL(search, specs) {
  const q = new URLSearchParams(search);
  const state = defaultState();
  if (q.has("surface")) state.surface = q.get("surface");
  state.condition = number(q.get("condition"));
  state.steps = number(q.get("steps"));
  state.seed = number(q.get("seed")) ?? 0;
  state.batch = number(q.get("batch"));
  state.step = number(q.get("step"));
  state.inspect = number(q.get("inspect"));
  const start = (q.get("start") || "").split(",").map(number);
  if (start.length === 2 && start.every((v) => v !== null)) state.start = start;
  state.optimizers = q.getAll("o").map((t) => parseOptimizer(t, specs)).filter(Boolean);
  return state;
}

function optimizerToken(entry, spec) {
  const parts = [entry.name, `learning_rate:${entry.settings.learning_rate}`];
  for (const p of spec.parameters) {
    const value = entry.settings[p.name];
    if (value === undefined || value === p.default) continue;
    parts.push(`${p.name}:${p.type === "bool" ? (value ? 1 : 0) : value}`);
  }
  return parts.join(",");
}

export function formatURL(state, specs) {
  const parts = [`surface=${encodeURIComponent(state.surface)}`];
  if (state.surface === "quadratic" && state.condition !== null) parts.push(`condition=${state.condition}`);
  if (state.steps !== null) parts.push(`steps=${state.steps}`);
  if (state.batch !== null) parts.push(`batch=${state.batch}`, `seed=${state.seed}`);
  if (state.start !== null) parts.push(`start=${state.start.join(",")}`);
  for (const entry of state.optimizers) {
    const spec = specs.find((s) => s.name === entry.name);
    if (spec) parts.push(`o=${encodeURIComponent(optimizerToken(entry, spec)).replace(/%2C/g, ",").replace(/%3A/g, ":")}`);
  }
  if (state.step !== null) parts.push(`step=${state.step}`);
  if (state.inspect !== null) parts.push(`inspect=${state.inspect}`);
  return "?" + parts.join("&");
}

// The request of POST /api/run for these settings.
export function runRequest(state) {
  const body = {
    surface: state.surface,
    optimizers: state.optimizers.map((e) => ({ name: e.name, ...e.settings })),
    seed: state.seed,
  };
  if (state.surface === "quadratic" && state.condition !== null) body.condition = state.condition;
  if (state.steps !== null) body.steps = state.steps;
  if (state.batch !== null) body.batch_size = state.batch;
  if (state.start !== null) body.start = state.start;
  return body;
}
