// The side panels: the rates on the quadratic, and the inspector of one update.
// They show numbers from the server's answer; nothing is computed here but their format.

import { COLORS } from "./draw.js";

export function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(6)));
  return v.toExponential(4);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function swatch(i) {
  return el("span", { class: "swatch", style: `--color: ${COLORS[i % COLORS.length]}` });
}

export function label(run) {
  const s = run.settings;
  const parts = [`α=${fmt(s.learning_rate)}`];
  for (const key of ["beta", "beta1", "beta2"]) if (key in s) parts.push(`${key.replace("beta", "β")}=${fmt(s[key])}`);
  return `${run.name} (${parts.join(", ")})`;
}

export function renderTheory(box, result, actions) {
  box.replaceChildren();
  const t = result.theory;
  const kappa = result.condition;
  box.append(
    el("p", { class: "note formula" },
      `f = ½(x² + κy²), eigenvalues λ = 1 and κ = ${fmt(kappa)}. GD shrinks the error by ρ = max|1 − αλ| per step. `,
      "descend's momentum, v = βv + (1−β)g and w = w − αv, is the heavy ball with step η = α(1−β): ",
      "ρ is the largest root of z² − (1 + β − ηλ)z + β over λ (Nesterov: z² − (1+β)(1−ηλ)z + β(1−ηλ))."),
  );
  const table = el("table", {}, el("tr", {}, el("th", {}, "optimizer"), el("th", {}, "theory ρ"), el("th", {}, "measured ρ")));
  result.runs.forEach((run, i) => {
    const r = run.rate || {};
    const measured = run.stopped ? `stopped at ${run.stopped.step}` : fmt(r.measured);
    table.append(el("tr", {}, el("td", { class: "name", title: label(run) }, swatch(i), run.name), el("td", {}, r.theory ? fmt(r.theory) : "(nonlinear)"), el("td", {}, measured)));
  });
  box.append(table);
  box.append(
    el("p", {}, `Best GD: α = 2/(1+κ) = ${fmt(t.gd_optimal.learning_rate)}, ρ = (κ−1)/(κ+1) = ${fmt(t.gd_optimal.rate)} `,
      el("button", { type: "button", id: "use-gd-optimal", onclick: actions.gd }, "use for GD")),
    el("p", {}, `Heavy ball at its optimum: α* = ${fmt(t.heavy_ball_optimal.learning_rate)}, β* = ${fmt(t.heavy_ball_optimal.beta)} `,
      `(η* = ${fmt(t.heavy_ball_optimal.step_size)}), ρ* = (√κ−1)/(√κ+1) = ${fmt(t.heavy_ball_optimal.rate)} `,
      el("button", { type: "button", id: "use-momentum-optimal", onclick: actions.momentum }, "use for momentum")),
    el("p", { class: "note" }, "Measured ρ: the slope of log ‖(wₖ − w*, wₖ₋₁ − w*)‖ over the second half of the steps. ",
      "On the loss plot, coloured dashes are each rule's theoretical ρ² per step through its last point, ",
      "grey dots the optimal heavy ball from the start."),
  );
}

const HAT = "\u0302";

export function renderInspector(box, result, index, step, axes) {
  box.replaceChildren();
  const run = result.runs[index];
  if (!run) return;
  const k = Math.min(step, run.path.length - 1);
  const inner = run.internals;
  if (k === 0 || !inner) {
    box.append(el("p", { class: "note" }, `Step 0 is the start (${fmt(run.path[0][0])}, ${fmt(run.path[0][1])}). Move the step slider to see an update.`));
    return;
  }
  const table = el("table", {}, el("tr", {}, el("th", {}, `update t = ${k}`), el("th", {}, axes[0]), el("th", {}, axes[1])));
  const row = (name, pair, title) => table.append(el("tr", title ? { title } : {}, el("td", { class: "formula" }, name), el("td", {}, fmt(pair[0])), el("td", {}, fmt(pair[1]))));
  row("w before", run.path[k - 1]);
  row("gradient g", inner.gradient[k - 1]);
  table.append(el("tr", {}, el("td", { class: "formula" }, "learning rate α"), el("td", { colspan: 2 }, fmt(inner.learning_rate[k - 1]))));
  for (const [slot, values] of Object.entries(inner.slots)) {
    row(`${slot} before`, k >= 2 ? values[k - 2] : [0, 0], "the state the update started from (zeros at t = 1)");
    row(`${slot} after`, values[k - 1], "the state the optimizer returned");
  }
  for (const [slot, values] of Object.entries(inner.corrected)) {
    const beta = slot === "v" ? "β1" : "β2";
    row(`${slot}${HAT} = ${slot}/(1−${beta}^t)`, values[k - 1], "bias-corrected, by descend.optim.adam.bias_corrected");
  }
  row("step taken Δw", inner.step[k - 1]);
  row("w after", run.path[k]);
  table.append(el("tr", {}, el("td", { class: "formula" }, "loss after"), el("td", { colspan: 2 }, fmt(run.loss[k]))));
  box.append(table);
  if (run.stopped && k === run.path.length - 1) box.append(el("p", { class: "note" }, `Update ${run.stopped.step} failed: ${run.stopped.reason}`));
}

export { el, swatch };
