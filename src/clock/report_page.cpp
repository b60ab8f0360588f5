// The report page: HTML, CSS and the script that draws it, with no outside resource. Kept as
// one raw string so the tock binary carries it; report.cpp inlines the data at the marker.
#include "clock/report.hpp"

namespace tock::clock {

const char* const kReportPage = R"TOCKPAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tock clock report</title>
<style>
  :root { --ink:#1d2430; --muted:#6b7383; --line:#e3e6ec; --bg:#f6f7f9; --card:#fff;
          --prefill:#c2573a; --decode:#2f6fb5; --accent:#2a9d8f; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color:var(--ink); background:var(--bg); }
  header { padding:20px 28px 8px; }
  h1 { font-size:22px; margin:0 0 4px; letter-spacing:.2px; }
  h1 span { color:var(--muted); font-weight:400; }
  h2 { font-size:15px; margin:0 0 2px; }
  .sub { color:var(--muted); font-size:12.5px; margin-bottom:10px; }
  .meta { color:var(--muted); font-size:12.5px; }
  main { padding:8px 28px 28px; display:grid; grid-template-columns: repeat(2, minmax(0,1fr)); gap:16px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
  .wide { grid-column: 1 / -1; }
  .stats { display:flex; flex-wrap:wrap; gap:10px; }
  .stat { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 14px; min-width:150px; }
  .stat b { display:block; font-size:20px; font-variant-numeric: tabular-nums; }
  .stat small { color:var(--muted); }
  svg text { font-size:11px; fill:var(--muted); }
  svg .label { fill:var(--ink); }
  .legend { display:inline-flex; gap:12px; font-size:12px; color:var(--muted); margin-left:8px; }
  .sw { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
  #text { font:15px/1.9 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; white-space:pre-wrap; word-break:break-word; }
  #text .prompt { color:var(--muted); }
  #text .tok { border-radius:3px; padding:1px 0; cursor:default; }
  #text .tok:hover { outline:2px solid var(--ink); }
  #tip { position:fixed; pointer-events:none; background:#1d2430; color:#fff; font-size:12px; padding:8px 10px;
         border-radius:6px; box-shadow:0 4px 14px rgba(0,0,0,.25); display:none; z-index:10; max-width:360px; }
  #tip table { border-collapse:collapse; }
  #tip td { padding:1px 6px 1px 0; font-variant-numeric: tabular-nums; }
  #tip .bar { height:6px; background:#7fb7ff; border-radius:2px; }
  #tip .chosen td { color:#ffd27f; }
  .controls { font-size:12.5px; color:var(--muted); margin:6px 0; }
  .controls select { font:inherit; margin-right:10px; }
  canvas { max-width:100%; }
  #errors { color:#b00020; white-space:pre-wrap; }
  .note { color:var(--muted); font-size:12.5px; }
</style>
</head>
<body>
<header>
  <h1>Tock clock report <span id="title-sub"></span></h1>
  <div class="meta" id="meta"></div>
</header>
<main>
  <section class="wide"><div class="stats" id="stats"></div></section>
  <section class="card wide" id="timeline-card">
    <h2>Tick timeline <span class="legend"><span><i class="sw" style="background:var(--prefill)"></i>prefill</span><span><i class="sw" style="background:var(--decode)"></i>decode</span><span><i class="sw" style="background:#9aa3b2"></i>forward not sampled</span></span></h2>
    <div class="sub">Latency of every tick (one forward pass and the sampling that reads it). Hover a bar for details.</div>
    <div id="timeline"></div>
  </section>
  <section class="card" id="ops-card">
    <h2>Time per op <span class="legend"><span><i class="sw" style="background:var(--decode)"></i>decode</span><span><i class="sw" style="background:var(--prefill)"></i>prefill</span></span></h2>
    <div class="sub">Share of all tick time, summed over layers.</div>
    <div id="ops"></div>
  </section>
  <section class="card" id="layers-card">
    <h2>Time per layer</h2>
    <div class="sub">Summed over every tick.</div>
    <div id="layers"></div>
  </section>
  <section class="card wide" id="text-card">
    <h2>Generated text, shaded by probability</h2>
    <div class="sub">Each token's background shows how sure the model was (softmax of its raw logits). Hover a token for the alternatives it weighed. <span id="scale"></span></div>
    <div id="text"></div>
  </section>
  <section class="card wide" id="entropy-card">
    <h2>Entropy and probability per tick</h2>
    <div class="sub">Bars: entropy of the model's distribution (nats). Line: probability of the chosen token.</div>
    <div id="entropy"></div>
  </section>
  <section class="card wide" id="attention-card">
    <h2>Attention of the last token</h2>
    <div class="sub">Rows: ticks; columns: positions in the context. Darker = more attention.</div>
    <div class="controls" id="att-controls"></div>
    <div id="attention"></div>
  </section>
  <section class="wide"><div id="errors"></div></section>
</main>
<div id="tip"></div>
<script id="tock-data" type="application/json">/*TOCK_REPORT_DATA*/null</script>
<script>
"use strict";
window.__errors = [];
window.addEventListener("error", e => { window.__errors.push(String(e.message)); showErrors(); });
function showErrors() {
  document.getElementById("errors").textContent = window.__errors.join("\n");
  document.body.dataset.errors = String(window.__errors.length);
}
const SVGNS = "http://www.w3.org/2000/svg";
function el(tag, attrs, parent, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const k in (attrs || {})) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function fmt(x, d) { return (x === undefined || x === null || !isFinite(x)) ? "–" : Number(x).toFixed(d === undefined ? 1 : d); }
function visible(s) { return s.replace(/\n/g, "\u21b5").replace(/\t/g, "\u21e5").replace(/ /g, "\u00b7"); }
const tip = document.getElementById("tip");
function showTip(ev, html) {
  tip.innerHTML = html; tip.style.display = "block";
  const w = tip.offsetWidth, h = tip.offsetHeight;
  let x = ev.clientX + 14, y = ev.clientY + 14;
  if (x + w > window.innerWidth - 8) x = ev.clientX - w - 14;
  if (y + h > window.innerHeight - 8) y = ev.clientY - h - 14;
  tip.style.left = x + "px"; tip.style.top = y + "px";
}
function hideTip() { tip.style.display = "none"; }
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c])); }
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
// Probability -> background: low is warm, high is cool and faint.
function probColor(p) {
  const t = Math.max(0, Math.min(1, p));
  const h = 10 + 190 * t, l = 88 - 10 * (1 - t), s = 80;
  return "hsl(" + h.toFixed(0) + "," + s + "%," + l.toFixed(0) + "%)";
}

const D = JSON.parse(document.getElementById("tock-data").textContent);
const M = D.metrics, T = D.ticks;

function drawHeader() {
  const o = D.other || {};
  document.getElementById("title-sub").textContent = o.command ? "· tock " + o.command : "";
  const parts = [];
  if (o.model) parts.push("model " + o.model.split("/").pop());
  if (o.sampling) parts.push("temperature " + +o.sampling.temperature.toFixed(3) + (o.sampling.temperature <= 0 ? " (greedy)" : ", top-k " + o.sampling.top_k + ", top-p " + +o.sampling.top_p.toFixed(3) + ", min-p " + +o.sampling.min_p.toFixed(3) + ", seed " + o.sampling.seed));
  parts.push(T.length + " ticks");
  document.getElementById("meta").textContent = parts.join(" · ");
  const stats = document.getElementById("stats");
  const items = [
    ["time to first token", fmt(M.ttft_ms, 1) + " ms", M.prefill_tokens + " prompt tokens"],
    ["inter-token latency p50", fmt(M.itl_p50, 2) + " ms", "p90 " + fmt(M.itl_p90, 2) + " · p99 " + fmt(M.itl_p99, 2) + " ms"],
    ["prefill", fmt(M.prefill_tps, 1) + " tok/s", fmt(M.prefill_ms, 1) + " ms"],
    ["decode", fmt(M.decode_tps, 1) + " tok/s", M.decode_tokens + " tokens in " + fmt(M.decode_ms, 0) + " ms"],
    ["KV cache at end", T.length ? fmt(T[T.length-1].kv_bytes / 1048576, 2) + " MiB" : "–", T.length ? T[T.length-1].kv_len + " positions" : ""],
  ];
  for (const [k, v, s] of items) {
    const d = el("div", {class: "stat"}, stats);
    el("small", {}, d, k); el("b", {}, d, v); el("small", {}, d, s);
  }
}

function drawTimeline() {
  const host = document.getElementById("timeline");
  const W = Math.max(640, host.clientWidth || 900), H = 230, L = 48, R = 12, Tp = 12, B = 30;
  const svg = el("svg:svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img"}, host);
  if (!T.length) { el("svg:text", {x: L, y: 40}, svg, "no ticks recorded"); return; }
  const dec = T.filter(t => t.phase === "decode").map(t => t.ms);
  const decMax = dec.length ? Math.max(...dec) : 0;
  const allMax = Math.max(...T.map(t => t.ms));
  // A long prefill would flatten every decode bar: scale to decode and clip prefill with a mark.
  const ymax = niceMax(decMax > 0 ? Math.min(allMax, decMax * 1.25) : allMax);
  const ih = H - Tp - B, iw = W - L - R, bw = iw / T.length;
  for (let i = 0; i <= 4; ++i) {
    const v = ymax * i / 4, y = Tp + ih - ih * i / 4;
    el("svg:line", {x1: L, x2: W - R, y1: y, y2: y, stroke: "#eef0f4"}, svg);
    el("svg:text", {x: L - 6, y: y + 4, "text-anchor": "end"}, svg, fmt(v, v < 10 ? 1 : 0));
  }
  el("svg:text", {x: 12, y: Tp + ih / 2, transform: "rotate(-90 12 " + (Tp + ih / 2) + ")", "text-anchor": "middle"}, svg, "ms per tick");
  T.forEach((t, i) => {
    const clipped = t.ms > ymax, h = ih * Math.min(t.ms, ymax) / ymax;
    const x = L + i * bw + Math.min(1, bw * 0.1), y = Tp + ih - h;
    const color = !t.moment ? "#9aa3b2" : t.phase === "prefill" ? "var(--prefill)" : "var(--decode)";
    const r = el("svg:rect", {class: "tick-bar", x: x, y: y, width: Math.max(1, bw - 2 * Math.min(1, bw * 0.1)), height: Math.max(0.5, h), fill: color, rx: 1}, svg);
    if (clipped) {
      el("svg:text", {x: x + 2, y: Tp + 10, class: "label"}, svg, fmt(t.ms, 0) + " ms \u2191");
      el("svg:line", {x1: x, x2: x + bw, y1: Tp + 16, y2: Tp + 13, stroke: "#fff", "stroke-width": 2}, svg);
    }
    r.addEventListener("mousemove", ev => {
      const m = t.moment;
      showTip(ev, "<b>tick " + t.i + "</b> · " + t.phase + "<br>" + fmt(t.ms, 2) + " ms · " + t.tokens + " token" + (t.tokens === 1 ? "" : "s") +
        " · KV " + t.kv_len + " positions" + (m ? "<br>token <b>" + esc(visible(m.text)) + "</b> p=" + fmt(m.p, 3) + " · H=" + fmt(m.entropy, 2) + " nats" : "<br>(not sampled)"));
    });
    r.addEventListener("mouseleave", hideTip);
  });
  const step = Math.max(1, Math.ceil(T.length / 16));
  for (let i = 0; i < T.length; i += step)
    el("svg:text", {x: L + (i + 0.5) * bw, y: H - B + 16, "text-anchor": "middle"}, svg, String(T[i].i));
  el("svg:text", {x: L + iw / 2, y: H - 2, "text-anchor": "middle"}, svg, "tick");
}

function hbars(host, rows, unit, colors) {
  // rows: [label, [values per series], note]
  const W = Math.max(360, host.clientWidth || 480), rh = 20, L = 110, R = 120, H = rows.length * rh + 8;
  const svg = el("svg:svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H}, host);
  const max = Math.max(1e-9, ...rows.map(r => r[1].reduce((a, b) => a + b, 0)));
  rows.forEach((r, i) => {
    const y = 4 + i * rh;
    el("svg:text", {x: L - 6, y: y + 13, "text-anchor": "end", class: "label"}, svg, r[0]);
    let x = L;
    r[1].forEach((v, k) => {
      const w = (W - L - R) * v / max;
      el("svg:rect", {class: "hbar", x: x, y: y + 3, width: Math.max(0, w), height: rh - 7, fill: colors[k], rx: 2}, svg);
      x += w;
    });
    el("svg:text", {x: x + 6, y: y + 13}, svg, r[2]);
  });
  return svg;
}

function drawOps() {
  const host = document.getElementById("ops");
  const pre = (D.ops_by_phase || {}).prefill || {}, dec = (D.ops_by_phase || {}).decode || {};
  const total = M.tick_ms || 1;
  const rows = (M.ops || []).map(o => [o.name, [dec[o.name] || 0, pre[o.name] || 0], fmt(100 * o.share, 1) + "% · " + fmt(o.ms, 1) + " ms"]);
  rows.push(["(other)", [M.unattributed_ms || 0, 0], fmt(100 * (M.unattributed_ms || 0) / total, 1) + "% · " + fmt(M.unattributed_ms, 1) + " ms"]);
  hbars(host, rows, "ms", ["var(--decode)", "var(--prefill)"]);
}

function drawLayers() {
  const host = document.getElementById("layers");
  const v = M.layer_ms || [];
  if (!v.length) { el("div", {class: "note"}, host, "no layer spans recorded"); return; }
  const W = Math.max(360, host.clientWidth || 480), H = 220, L = 44, R = 8, Tp = 10, B = 28;
  const svg = el("svg:svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H}, host);
  const ymax = niceMax(Math.max(...v)), ih = H - Tp - B, bw = (W - L - R) / v.length;
  for (let i = 0; i <= 4; ++i) {
    const y = Tp + ih - ih * i / 4;
    el("svg:line", {x1: L, x2: W - R, y1: y, y2: y, stroke: "#eef0f4"}, svg);
    el("svg:text", {x: L - 6, y: y + 4, "text-anchor": "end"}, svg, fmt(ymax * i / 4, ymax < 100 ? 1 : 0));
  }
  v.forEach((ms, l) => {
    const h = ih * ms / ymax;
    const r = el("svg:rect", {class: "layer-bar", x: L + l * bw + 1, y: Tp + ih - h, width: Math.max(1, bw - 2), height: h, fill: "var(--accent)", rx: 1}, svg);
    r.addEventListener("mousemove", ev => showTip(ev, "layer " + l + "<br>" + fmt(ms, 2) + " ms over all ticks"));
    r.addEventListener("mouseleave", hideTip);
  });
  const step = Math.max(1, Math.ceil(v.length / 12));
  for (let l = 0; l < v.length; l += step) el("svg:text", {x: L + (l + 0.5) * bw, y: H - B + 15, "text-anchor": "middle"}, svg, String(l));
  el("svg:text", {x: L + (W - L - R) / 2, y: H - 2, "text-anchor": "middle"}, svg, "layer (ms summed over ticks)");
}

function altTable(title, m, alts, chosen) {
  let h = "<div style='margin:4px 0 2px;color:#aab'>" + title + "</div><table>";
  for (const a of alts) {
    h += "<tr" + (a.id === chosen ? " class='chosen'" : "") + "><td>" + esc(visible(a.text)) + "</td><td>" + fmt(100 * a.p, 1) +
         "%</td><td style='width:90px'><div class='bar' style='width:" + (90 * a.p).toFixed(0) + "px'></div></td></tr>";
  }
  return h + "</table>";
}

function drawText() {
  const host = document.getElementById("text");
  if (D.prompt && D.prompt.length) el("span", {class: "prompt"}, host, D.prompt.join(""));
  let n = 0;
  for (const t of T) {
    const m = t.moment;
    if (!m) continue;
    const s = el("span", {class: "tok"}, host, m.text);
    s.style.background = probColor(m.p);
    s.addEventListener("mousemove", ev => {
      let h = "<b>" + esc(visible(m.text)) + "</b> · tick " + t.i + "<br>p = " + fmt(m.p, 4) + " · entropy " + fmt(m.entropy, 2) + " nats";
      h += altTable("model's top alternatives", m, m.top || [], m.token);
      if (m.final) h += altTable("sampler's final distribution (p=" + fmt(m.final.p, 3) + ")", m, m.final.top || [], m.token);
      showTip(ev, h);
    });
    s.addEventListener("mouseleave", hideTip);
    ++n;
  }
  if (!n) el("div", {class: "note"}, host, "no sampled tokens in this trace");
  const sc = document.getElementById("scale");
  for (const p of [0.1, 0.3, 0.5, 0.7, 0.9]) { const e = el("span", {}, sc, " p=" + p + " "); e.style.background = probColor(p); e.style.borderRadius = "3px"; }
}

function drawEntropy() {
  const host = document.getElementById("entropy");
  const S = T.filter(t => t.moment);
  const W = Math.max(640, host.clientWidth || 900), H = 200, L = 48, R = 44, Tp = 10, B = 28;
  const svg = el("svg:svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H}, host);
  if (!S.length) { el("svg:text", {x: L, y: 40}, svg, "no sampled tokens"); return; }
  const emax = niceMax(Math.max(0.5, ...S.map(t => t.moment.entropy))), ih = H - Tp - B, bw = (W - L - R) / S.length;
  for (let i = 0; i <= 4; ++i) {
    const y = Tp + ih - ih * i / 4;
    el("svg:line", {x1: L, x2: W - R, y1: y, y2: y, stroke: "#eef0f4"}, svg);
    el("svg:text", {x: L - 6, y: y + 4, "text-anchor": "end"}, svg, fmt(emax * i / 4, 1));
    el("svg:text", {x: W - R + 6, y: y + 4}, svg, fmt(i / 4, 2));
  }
  let path = "";
  S.forEach((t, i) => {
    const h = ih * t.moment.entropy / emax, x = L + i * bw;
    const r = el("svg:rect", {class: "entropy-bar", x: x + 1, y: Tp + ih - h, width: Math.max(1, bw - 2), height: h, fill: "#c9d6ea", rx: 1}, svg);
    r.addEventListener("mousemove", ev => showTip(ev, "tick " + t.i + " · <b>" + esc(visible(t.moment.text)) + "</b><br>entropy " + fmt(t.moment.entropy, 3) + " nats · p " + fmt(t.moment.p, 3)));
    r.addEventListener("mouseleave", hideTip);
    path += (i ? "L" : "M") + (x + bw / 2).toFixed(1) + "," + (Tp + ih - ih * t.moment.p).toFixed(1);
  });
  el("svg:path", {d: path, fill: "none", stroke: "var(--prefill)", "stroke-width": 1.6}, svg);
  el("svg:text", {x: 12, y: Tp + ih / 2, transform: "rotate(-90 12 " + (Tp + ih / 2) + ")", "text-anchor": "middle"}, svg, "entropy (nats)");
  el("svg:text", {x: W - 6, y: Tp + ih / 2, transform: "rotate(90 " + (W - 6) + " " + (Tp + ih / 2) + ")", "text-anchor": "middle"}, svg, "p(chosen)");
}

function drawAttention() {
  const host = document.getElementById("attention"), ctl = document.getElementById("att-controls");
  const A = D.attention || [];
  if (!A.length) { el("div", {class: "note"}, host, "Not recorded: run with --trace-attention to see where each tick's token looked."); return; }
  const layers = [...new Set(A.map(a => a.layer))].sort((a, b) => a - b);
  const nHead = Math.max(...A.map(a => a.n_head));
  el("span", {}, ctl, "layer ");
  const ls = el("select", {id: "att-layer"}, ctl);
  for (const l of layers) el("option", {value: l}, ls, String(l));
  ls.value = String(layers[layers.length - 1]);
  el("span", {}, ctl, "head ");
  const hs = el("select", {id: "att-head"}, ctl);
  el("option", {value: -1}, hs, "mean of heads");
  for (let h = 0; h < nHead; ++h) el("option", {value: h}, hs, String(h));
  const canvas = el("canvas", {id: "att-canvas"}, host);
  const labels = (D.prompt || []).slice();
  for (const t of T) if (t.moment) labels.push(t.moment.text);
  function draw() {
    const layer = Number(ls.value), head = Number(hs.value);
    const rows = A.filter(a => a.layer === layer).sort((a, b) => a.tick - b.tick);
    const nkv = Math.max(...rows.map(r => r.n_kv));
    const cell = Math.max(2, Math.min(14, Math.floor(((host.clientWidth || 900) - 60) / nkv)));
    const Lm = 56, Tm = 8;
    canvas.width = Lm + nkv * cell + 8; canvas.height = Tm + rows.length * cell + 24;
    const g = canvas.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, canvas.width, canvas.height);
    rows.forEach((r, i) => {
      for (let j = 0; j < r.n_kv; ++j) {
        let w = 0;
        if (head < 0) { for (let h = 0; h < r.n_head; ++h) w += r.weights[h][j]; w /= r.n_head; }
        else w = r.weights[Math.min(head, r.n_head - 1)][j];
        const v = Math.pow(Math.max(0, Math.min(1, w)), 0.5);  // sqrt: small weights stay visible
        g.fillStyle = "rgb(" + Math.round(255 - 210 * v) + "," + Math.round(255 - 160 * v) + "," + Math.round(255 - 75 * v) + ")";
        g.fillRect(Lm + j * cell, Tm + i * cell, cell, cell);
      }
    });
    g.fillStyle = "#6b7383"; g.font = "10px system-ui, sans-serif"; g.textAlign = "right";
    const step = Math.max(1, Math.ceil(12 / cell));
    rows.forEach((r, i) => { if (i % step === 0) g.fillText("tick " + r.tick, Lm - 4, Tm + i * cell + cell - 1); });
    g.textAlign = "center";
    const xs = Math.max(1, Math.ceil(30 / cell));
    for (let j = 0; j < nkv; j += xs) g.fillText(String(j), Lm + (j + 0.5) * cell, Tm + rows.length * cell + 14);
    canvas.onmousemove = ev => {
      const b = canvas.getBoundingClientRect();
      const j = Math.floor((ev.clientX - b.left - Lm) / cell), i = Math.floor((ev.clientY - b.top - Tm) / cell);
      if (i < 0 || i >= rows.length || j < 0 || j >= rows[i].n_kv) { hideTip(); return; }
      const r = rows[i];
      let w = 0;
      if (head < 0) { for (let h = 0; h < r.n_head; ++h) w += r.weights[h][j]; w /= r.n_head; } else w = r.weights[Math.min(head, r.n_head - 1)][j];
      showTip(ev, "tick " + r.tick + " looks at position " + j + (labels[j] !== undefined ? " <b>" + esc(visible(labels[j])) + "</b>" : "") + "<br>weight " + fmt(w, 4));
    };
    canvas.onmouseleave = hideTip;
  }
  ls.onchange = draw; hs.onchange = draw;
  draw();
}

for (const f of [drawHeader, drawTimeline, drawOps, drawLayers, drawText, drawEntropy, drawAttention]) {
  try { f(); } catch (e) { window.__errors.push(f.name + ": " + e); console.error(f.name, e); }
}
showErrors();
document.body.dataset.rendered = window.__errors.length ? "with-errors" : "ok";
</script>
</body>
</html>
)TOCKPAGE";

}  // namespace tock::clock
