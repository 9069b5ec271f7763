/* kafkasim report: draws the run embedded in #ks-data at the moment the
 * slider shows. Everything is drawn here, from the data: no network, no
 * library. The data (sim/output-html.c writes it):
 *   frames: the cluster at sampling instants and at every event that
 *           changes it, in time order; the moment t shows the last frame
 *           at or before t; group_frames: the groups, likewise.
 *   lines: the timeline's lines with their times; says: the narration;
 *   expects: every expectation checked, with its verdict and time;
 *   truncations: replica logs cut back to their leader's;
 *   series: sampled throughput, unavailable partitions and lag per group;
 *   diagrams: distinct topology SVGs, which frames point to by index. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("ks-data").textContent);
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const secs = (us) => {
    const s = (us / 1e6).toFixed(6).replace(/\.?0+$/, "");
    return s + " s";
  };
  /* The index of the last element of sorted @arr whose key is <= t, or -1. */
  function lastAtOrBefore(arr, t, key) {
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(arr[mid]) <= t) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  const slider = $("slider");
  slider.max = String(data.end_us);
  $("title").textContent = "kafkasim: " + data.title + " (seed " + data.seed + ")";
  document.title = "kafkasim: " + data.title;

  /* Distinct times of the timeline's lines: what the arrow keys step to. */
  const eventTimes = [];
  for (const l of data.lines)
    if (!eventTimes.length || eventTimes[eventTimes.length - 1] !== l.t) eventTimes.push(l.t);

  /* Each partition's largest log end offset over the run: the bars' scale. */
  const scale = data.partitions.map(() => 1);
  for (const f of data.frames)
    f.p.forEach((p, i) => { for (const r of p.r) scale[i] = Math.max(scale[i], r.leo); });

  function epochColour(epoch) {
    return "hsl(" + ((epoch * 67) % 360) + ", 60%, 62%)";
  }

  function drawSay(t) {
    const i = lastAtOrBefore(data.says, t, (s) => s.t);
    let html = i >= 0 ? '<div class="current">' + esc(data.says[i].text) + "</div>"
                      : '<div class="earlier">Nothing said yet.</div>';
    for (let k = i - 1; k >= Math.max(0, i - 2); k--)
      html += '<div class="earlier">' + esc(secs(data.says[k].t)) + ": " +
              esc(data.says[k].text) + "</div>";
    $("say").innerHTML = html;
  }

  function drawCluster(f) {
    let html = "";
    for (const b of f.brokers) {
      const cls = "broker " + (b.alive ? "up" : "down") + (b.id === f.controller ? " ctl" : "");
      html += '<span class="' + cls + '" id="broker-' + b.id + '">broker ' + b.id +
              (b.id === f.controller ? " (controller)" : "") + (b.alive ? "" : " down") + "</span>";
    }
    if (f.controller < 0) html += ' <span class="broker down">no controller</span>';
    $("cluster").innerHTML = html;
  }

  function drawDiagram(f) {
    const el = $("diagram");
    if (!data.diagrams.length || f.d < 0) {
      el.innerHTML = '<div class="note">' + esc(data.diagram_note) + "</div>";
      return;
    }
    if (el.dataset.shown !== String(f.d)) {
      el.innerHTML = data.diagrams[f.d];
      el.dataset.shown = String(f.d);
    }
  }

  function drawPartitions(f, prev) {
    let html = "<tr><th>partition</th><th>leader</th><th>epoch</th><th>ISR</th>" +
               "<th>replicas</th><th>HW</th></tr>";
    f.p.forEach((p, i) => {
      const name = data.partitions[i];
      const was = prev ? prev.p[i] : null;
      const changed = was && (was.leader !== p.leader || was.isr.join() !== p.isr.join());
      html += "<tr" + (changed ? ' class="changed"' : "") + "><td>" + esc(name) + "</td>" +
              '<td id="leader-' + esc(name) + '"' + (p.leader < 0 ? ' class="offline"' : "") +
              ">" + (p.leader < 0 ? "none" : p.leader) + "</td><td>" + p.epoch + "</td>" +
              '<td id="isr-' + esc(name) + '">{' + p.isr.join(",") + "}</td><td>" +
              p.r.map((r) => r.b).join(",") + "</td><td>" + (p.hw < 0 ? "-" : p.hw) +
              "</td></tr>";
    });
    if (data.partitions_total > data.partitions.length)
      html += '<tr><td colspan="6">' + (data.partitions_total - data.partitions.length) +
              " more partitions are not shown</td></tr>";
    $("partitions").innerHTML = html;
  }

  function drawLogs(f, t) {
    let html = '<div class="legend">Bars: offsets 0 to the log end (LEO), coloured by leader ' +
               "epoch; grey: before the log start; black line: high watermark (HW); red " +
               "hatching: offsets a truncation removed.</div>";
    f.p.forEach((p, i) => {
      const name = data.partitions[i];
      const w = 600, rowH = 18, h = p.r.length * (rowH + 4);
      const x = (o) => 110 + (w - 120) * Math.max(0, o) / scale[i];
      let svg = '<svg viewBox="0 0 ' + w + " " + h + '" role="img" aria-label="' + esc(name) + '">';
      p.r.forEach((r, k) => {
        const y = k * (rowH + 4);
        const role = r.b === p.leader ? "leader" : (p.isr.indexOf(r.b) >= 0 ? "in ISR" : "out of ISR");
        svg += '<text x="0" y="' + (y + 13) + '" font-size="11">broker ' + r.b + " " +
               (r.up ? role : "down") + "</text>";
        svg += '<rect x="110" y="' + y + '" width="' + (w - 120) + '" height="' + rowH +
               '" fill="#f2f4f6"/>';
        const ep = r.ep;
        for (let e = 0; e < ep.length; e++) {
          const from = Math.max(ep[e][1], r.ls), to = e + 1 < ep.length ? ep[e + 1][1] : r.leo;
          if (to > from)
            svg += '<rect x="' + x(from) + '" y="' + y + '" width="' + (x(to) - x(from)) +
                   '" height="' + rowH + '" fill="' + epochColour(ep[e][0]) + '"' +
                   (r.up ? "" : ' opacity="0.4"') + "><title>epoch " + ep[e][0] + ": " +
                   from + " to " + (to - 1) + "</title></rect>";
        }
        if (r.ls > 0)
          svg += '<rect x="' + x(0) + '" y="' + y + '" width="' + (x(r.ls) - x(0)) +
                 '" height="' + rowH + '" fill="#bbb"/>';
        for (const c of data.truncations)
          if (c.t <= t && c.p === name && c.b === r.b)
            svg += '<rect x="' + x(c.to) + '" y="' + (y + 1) + '" width="' +
                   Math.max(2, x(c.from) - x(c.to)) + '" height="' + (rowH - 2) +
                   '" fill="none" stroke="#c62828" stroke-width="2" stroke-dasharray="3 2">' +
                   "<title>truncated " + c.from + " to " + c.to + " at " + esc(secs(c.t)) +
                   "</title></rect>";
        if (r.hw >= 0)
          svg += '<line x1="' + x(r.hw) + '" x2="' + x(r.hw) + '" y1="' + (y - 1) + '" y2="' +
                 (y + rowH + 1) + '" stroke="#111" stroke-width="2"/>';
        svg += '<text x="' + (w - 6) + '" y="' + (y + 13) + '" font-size="10" text-anchor="end">' +
               "LEO " + r.leo + " HW " + r.hw + "</text>";
      });
      svg += "</svg>";
      html += '<div class="log"><span class="name">' + esc(name) + "</span> leader " +
              (p.leader < 0 ? "none" : p.leader) + ", epoch " + p.epoch + svg + "</div>";
    });
    $("logs").innerHTML = html;
  }

  function drawGroups(t) {
    const i = lastAtOrBefore(data.group_frames, t, (g) => g.t);
    const f = i >= 0 ? data.group_frames[i] : { g: [] };
    if (!f.g.length) { $("groups").innerHTML = '<div class="legend">No consumer group.</div>'; return; }
    let html = "";
    for (const g of f.g) {
      html += '<div class="group"><b>' + esc(g.name) + "</b>: " + esc(g.state) +
              ", generation " + g.gen + ", lag " + g.lag + "<br>";
      for (const m of g.members)
        html += "&nbsp;&nbsp;" + esc(m.id) + ": " +
                (m.parts.length ? esc(m.parts.join(", ")) : "idle") +
                (m.n > m.parts.length ? " and " + (m.n - m.parts.length) + " more" : "") + "<br>";
      html += "</div>";
    }
    $("groups").innerHTML = html;
  }

  let lastNow = -1;
  function drawEvents(t) {
    const box = $("events");
    if (!box.dataset.built) {
      box.innerHTML = data.lines.map((l, i) => '<div id="line-' + i + '">' + esc(l.text) +
                                     "</div>").join("");
      box.dataset.built = "1";
    }
    const now = lastAtOrBefore(data.lines, t, (l) => l.t);
    const nowT = now >= 0 ? data.lines[now].t : -1;
    data.lines.forEach((l, i) => {
      box.children[i].className = l.t > t ? "future" : (l.t === nowT ? "now" : "");
    });
    if (now >= 0 && now !== lastNow) {
      const el = box.children[now];
      box.scrollTop = Math.max(0, el.offsetTop - box.offsetTop - box.clientHeight / 2);
    }
    lastNow = now;
  }

  function drawExpects(t) {
    if (!data.expects.length) { $("expects").innerHTML = '<div class="legend">None.</div>'; return; }
    $("expects").innerHTML = data.expects.map((e) => {
      const done = e.t <= t;
      const verdict = done ? (e.held ? '<span class="held">held</span>'
                                     : '<span class="failed">FAILED</span>')
                           : '<span class="pending">checked at ' + esc(secs(e.t)) + "</span>";
      return '<div class="expect">' + verdict + " line " + e.line + ": " + esc(e.text) +
             (done ? " <span class=\"legend\">(" + esc(e.actual) + ")</span>" : "") + "</div>";
    }).join("");
  }

  function chart(label, values, t) {
    const ts = data.series.t, w = 600, h = 70;
    const max = Math.max(1, ...values);
    const x = (v) => w * v / Math.max(1, data.end_us);
    const y = (v) => h - 4 - (h - 8) * v / max;
    const pts = values.map((v, i) => x(ts[i]).toFixed(1) + "," + y(v).toFixed(1)).join(" ");
    const i = lastAtOrBefore(ts, t, (v) => v);
    const cur = i >= 0 ? values[i] : 0;
    return '<div class="chart"><div class="label">' + esc(label) + ": " +
           esc(Number.isInteger(cur) ? cur : cur.toFixed(1)) + " (max " +
           esc(Number.isInteger(max) ? max : max.toFixed(1)) + ")</div>" +
           '<svg viewBox="0 0 ' + w + " " + h + '" preserveAspectRatio="none">' +
           '<rect width="' + w + '" height="' + h + '" fill="#f7f8fa"/>' +
           '<polyline fill="none" stroke="#0b57d0" stroke-width="1.5" points="' + pts + '"/>' +
           '<line x1="' + x(t) + '" x2="' + x(t) + '" y1="0" y2="' + h +
           '" stroke="#c62828" stroke-width="1.5"/></svg></div>';
  }

  function drawCharts(t) {
    const s = data.series;
    let html = chart("records acknowledged per second", s.produce, t) +
               chart("records consumed per second", s.consume, t) +
               chart("unavailable partitions (no live leader)", s.unavailable, t) +
               chart("under-replicated partitions", s.under, t);
    for (const g of Object.keys(s.lag)) html += chart("lag of group " + g, s.lag[g], t);
    $("charts").innerHTML = html;
  }

  function show(t) {
    t = Math.max(0, Math.min(data.end_us, Math.round(t)));
    slider.value = String(t);
    $("time").textContent = secs(t);
    const i = Math.max(0, lastAtOrBefore(data.frames, t, (f) => f.t));
    const f = data.frames[i], prev = i > 0 ? data.frames[i - 1] : null;
    drawSay(t);
    drawCluster(f);
    drawDiagram(f);
    drawPartitions(f, prev);
    drawLogs(f, t);
    drawGroups(t);
    drawEvents(t);
    drawExpects(t);
    drawCharts(t);
  }

  function step(dir) {
    const t = Number(slider.value);
    if (dir > 0) {
      const next = eventTimes.find((e) => e > t);
      show(next === undefined ? data.end_us : next);
    } else {
      let prev = 0;
      for (const e of eventTimes) if (e < t) prev = e;
      show(prev);
    }
  }

  let timer = null;
  function play(on) {
    if (on && !timer) {
      if (Number(slider.value) >= data.end_us) show(0);
      const stride = Math.max(1, data.end_us / 300);
      timer = setInterval(() => {
        const t = Number(slider.value) + stride;
        show(t);
        if (t >= data.end_us) play(false);
      }, 50);
    } else if (!on && timer) {
      clearInterval(timer);
      timer = null;
    }
    $("play").textContent = timer ? "Pause" : "Play";
  }

  slider.addEventListener("input", () => show(Number(slider.value)));
  $("prev").addEventListener("click", () => step(-1));
  $("next").addEventListener("click", () => step(1));
  $("play").addEventListener("click", () => play(!timer));
  document.addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight") step(1);
    else if (e.key === "ArrowLeft") step(-1);
    else if (e.key === " ") play(!timer);
    else if (e.key === "Home") show(0);
    else if (e.key === "End") show(data.end_us);
    else return;
    e.preventDefault();
  });
  window.ksShow = show;
  /* "report.html#t=20" opens the report at 20 s. */
  const at = /t=([0-9.]+)/.exec(location.hash);
  show(at ? Number(at[1]) * 1e6 : 0);
})();
