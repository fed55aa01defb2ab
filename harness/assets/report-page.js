// Renders report.html from the run's report.json embedded in the page; uPlot draws the plots.
(function () {
  'use strict';
  const run = JSON.parse(document.getElementById('hil-data').textContent);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
    for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : String(k));
    return e;
  };
  const verdict = (s) => (s.flaky ? 'flaky' : s.status);
  const secs = (ms) => (ms / 1000).toFixed(1) + ' s';
  window.hilPlots = [];

  // Every plotted quantity is a rate, a count or a delay: its axis starts at 0, so a steady
  // stream looks steady. Fewer than 3 readings make no line: the page says so instead.
  const MIN_POINTS = 3;
  function plot(parent, scenario, title, unit, xs, series, spanGaps = false) {
    const kept = series.filter((s) => s.values.some((v) => v !== null && v !== undefined));
    if (!xs.length || !kept.length) return;
    const heading = `${title} (${unit})`;
    const box = el('div', { class: 'plot', 'data-plot': title }, el('h4', {}, heading));
    parent.append(box);
    if (xs.length < MIN_POINTS) {
      const vals = kept.map((s) => `${s.label}: ${s.values.filter((v) => v !== null && v !== undefined).map((v) => +v.toFixed(2)).join(', ')} ${unit}`);
      box.append(el('p', { class: 'muted too-few' }, `too few readings for a line (${xs.length} at t = ${xs.map((x) => x.toFixed(1)).join(', ')} s): `, vals.join('; ')));
      window.hilPlots.push({ scenario, title, series: kept.length, points: xs.length, drawn: 0, tooFew: true });
      return;
    }
    const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];
    const opts = {
      width: 460, height: 220,
      scales: { x: { time: false }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.05 : 1] } },
      axes: [{ label: 't (s) from traffic start' }, { label: unit }],
      series: [{}, ...kept.map((s, i) => ({ label: s.label, stroke: colours[i % colours.length], spanGaps, points: { show: xs.length < 60 } }))],
    };
    const u = new uPlot(opts, [xs, ...kept.map((s) => s.values)], box);
    // The scales are set once uPlot has drawn: read when asked.
    window.hilPlots.push({ scenario, title, series: kept.length, points: xs.length, drawn: u.data[0].length, get yMin() { return u.scales.y.min; }, get yMax() { return u.scales.y.max; } });
  }

  /** Several (t, y) series on one x axis: the union of their times, gaps where one has none. */
  function align(list) {
    const xs = [...new Set(list.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    return { xs, series: list.map((s) => { const m = new Map(s.points); return { label: s.label, values: xs.map((x) => (m.has(x) ? m.get(x) : null)) }; }) };
  }

  function plots(s) {
    const box = el('div', { class: 'plots' });
    const traffic = align(s.traffic.map((t, i) => ({
      label: `${t.proto}/${t.family} ${t.direction}${s.traffic.length > 1 ? ' #' + i : ''}`,
      points: (t.intervals || []).map((p) => [p.tMs / 1000, p.bitsPerSecond / 1e6]),
    })));
    // Streams report at their own times: join each one's points across the others'.
    plot(box, s.name, 'Throughput', 'Mbit/s', traffic.xs, traffic.series, true);
    if (s.latency) {
      const pts = s.latency.series;
      plot(box, s.name, 'Latency (ping LAN → WAN)', 'ms', pts.map((p) => p.tMs / 1000), [{ label: 'rtt', values: pts.map((p) => p.rttMs) }]);
    }
    const tl = s.timeline || [];
    const xs = tl.map((p) => p.tMs / 1000);
    plot(box, s.name, 'Flows per offload state', 'flows', xs, ['none', 'sw', 'hw'].map((k) => ({ label: k, values: tl.map((p) => p.flows[k]) })));
    plot(box, s.name, 'Forward chain', 'packets / lines', xs, [
      { label: 'counter packets', values: tl.map((p) => p.forwardCounterPackets) },
      { label: 'log lines', values: tl.map((p) => (p.forwardLogLines === undefined ? null : p.forwardLogLines)) },
    ]);
    if (s.flood) {
      const ft = s.flood.timeline;
      plot(box, s.name, 'UDP flood: conntrack', 'entries', ft.map((p) => p.tMs / 1000), [
        { label: 'flood flows tracked', values: ft.map((p) => p.tracked) },
        { label: 'offloaded', values: ft.map((p) => p.offloaded) },
        { label: 'all entries', values: ft.map((p) => p.conntrack) },
      ], true);
    }
    const shaped = tl.filter((p) => p.shaper);
    plot(box, s.name, 'SQM shaper (since traffic start)', 'packets', shaped.map((p) => p.tMs / 1000), [
      { label: 'drops', values: shaped.map((p) => p.shaper.drops) },
      { label: 'ECN marks', values: shaped.map((p) => p.shaper.marks) },
    ]);
    return box;
  }

  function sqmTable(s) {
    if (!s.sqm) return null;
    return el('table', {}, el('tr', {}, ['direction', 'device', 'rate', 'throughput', 'shaper bytes', 'drops', 'ECN marks'].map((h) => el('th', {}, h))),
      s.sqm.directions.map((d) => el('tr', {},
        el('td', {}, d.direction), el('td', {}, d.device), el('td', {}, (d.rateBitsPerSecond / 1e6).toFixed(1) + ' Mbit/s'),
        el('td', {}, (d.throughputBitsPerSecond / 1e6).toFixed(1) + ' Mbit/s'),
        el('td', {}, d.shaper ? d.shaper.bytes : '-'), el('td', {}, d.shaper ? d.shaper.drops : '-'), el('td', {}, d.shaper ? d.shaper.marks : '-'))));
  }

  function kernelTexts(s) {
    const texts = [];
    if (s.reason) texts.push('reason: ' + s.reason);
    const k = s.boot && s.boot.kernel;
    if (k) texts.push(`kernel: ${k.release} (${k.by === 'offload-hil' ? "offload-hil's" : k.by === 'image' ? "the image's own" : k.by === 'host' ? "the host's" : "the board's"}${k.flavour ? `, ${k.flavour} flavour${k.flavourAssumed ? ', assumed' : ''}` : ''})`);
    if (s.offload.summary) texts.push(s.offload.summary);
    if (s.offload.warning) texts.push('firewall4 warning: ' + s.offload.warning);
    if (s.offload.kernelError) texts.push('kernel: ' + s.offload.kernelError);
    for (const [d, e] of Object.entries(s.offload.refusals || {})) if (e) texts.push(`refused on ${d}: ${e}`);
    if (s.offload.missing) texts.push(`missing modules: ${s.offload.missing.hint || `${s.offload.missing.modules.join(', ')} (${s.offload.missing.package}: ${s.offload.missing.install})`}`);
    for (const d of (s.firewall && s.firewall.differences) || []) texts.push(`firewall not as rendered: ${d}`);
    for (const t of s.kernelLog.trouble) texts.push('kernel log: ' + t);
    for (const w of s.warnings || []) texts.push('warning: ' + w);
    for (const a of (s.attempts || []).slice(0, -1)) texts.push(`attempt ${a.attempt}: ${a.status}${a.reason ? ' (' + a.reason + ')' : ''}`);
    return texts.length ? el('pre', { class: 'kernel' }, texts.join('\n')) : null;
  }

  const FOLD = /\(folded (\d+)\)$/;
  function transcript(s) {
    const text = (run.transcripts || {})[s.name];
    if (text === undefined) return el('p', { class: 'muted' }, 'no console transcript');
    const folds = (run.folds || {})[s.name] || {};
    const lines = text.split('\n');
    const pre = el('pre', { class: 'transcript' });
    const count = el('span', { class: 'muted count' });
    const input = el('input', { class: 'search', type: 'search', placeholder: 'search the console transcript' });
    // A folded sample: its one line, the full text a click away.
    const line = (l, q) => {
      const m = FOLD.exec(l);
      const full = m && folds[m[1]];
      let shown = [l];
      if (q) {
        const i = l.toLowerCase().indexOf(q.toLowerCase());
        shown = [l.slice(0, i), el('mark', {}, l.slice(i, i + q.length)), l.slice(i + q.length)];
      }
      if (full === undefined || full === null) return [...shown, '\n'];
      return [el('details', { class: 'fold' }, el('summary', {}, ...shown), el('div', { class: 'folded' }, full))];
    };
    const show = () => {
      const q = input.value;
      pre.replaceChildren();
      const hits = q ? lines.filter((l) => l.toLowerCase().includes(q.toLowerCase())) : lines;
      for (const l of hits) pre.append(...line(l, q));
      count.textContent = q ? ` ${hits.length} of ${lines.length} lines` : ` ${lines.length} lines`;
    };
    input.addEventListener('input', show);
    show();
    return el('div', {}, el('h4', {}, 'Console transcript'), input, count, pre);
  }

  // Why each stream ended and when: decided (adaptive traffic), its full duration, or an error.
  function trafficEnds(s) {
    const ends = (s.traffic || []).filter((t) => t.end);
    if (!ends.length) return '';
    return el('ul', { class: 'traffic-ends' }, ends.map((t, i) => el('li', {}, `traffic[${i}] ${t.proto} ${t.direction}: ended at ${secs(t.end.atMs)}, ${t.end.by}: ${t.end.why}`)));
  }

  function scenario(s) {
    const failed = s.status === 'failed' || s.status === 'error';
    const d = el('details', { class: 'scenario', id: 's-' + s.name, open: failed ? '' : undefined },
      el('summary', {}, el('span', { class: verdict(s) }, verdict(s).toUpperCase()), ' ', s.name,
        el('span', { class: 'muted' }, ` ${secs(s.durationMs)}, offload ${s.offload.requested} → ${s.offload.effective || '-'}${s.offload.fallback ? ' (fallback warned)' : ''}, ${s.file}`)),
      el('table', { class: 'assertions' }, el('tr', {}, el('th', {}, ''), el('th', {}, 'expectation'), el('th', {}, 'expected'), el('th', {}, 'actual')),
        s.assertions.map((a) => el('tr', {}, el('td', { class: a.passed ? 'passed' : 'failed' }, a.passed ? '✔' : '✘'), el('td', {}, a.name), el('td', {}, a.expected), el('td', {}, a.actual)))),
      kernelTexts(s), sqmTable(s), trafficEnds(s));
    d.append(plots(s), el('div', { class: 'transcript-box' }, transcript(s)));
    return d;
  }

  const n = (st) => run.scenarios.filter((s) => s.status === st).length;
  const flaky = run.scenarios.filter((s) => s.flaky).length;
  const root = document.getElementById('hil-report');
  root.append(
    el('h1', {}, 'offload-hil ' + run.runId),
    el('p', {}, `${n('passed')} passed${flaky ? ` (${flaky} flaky)` : ''}, ${n('failed')} failed, ${n('error')} error, ${n('skipped')} skipped in ${secs(run.durationMs)}; started ${run.startedAt}${run.shard ? `; shard ${run.shard.index}/${run.shard.count}` : ''}`),
    el('table', { class: 'summary' }, el('tr', {}, ['verdict', 'scenario', 'offload', 'flows', 'time'].map((h) => el('th', {}, h))),
      run.scenarios.map((s) => el('tr', {}, el('td', { class: verdict(s) }, verdict(s)), el('td', {}, el('a', { href: '#s-' + s.name }, s.name)),
        el('td', {}, `${s.offload.requested} → ${s.offload.effective || '-'}`), el('td', {}, (run.flowStates || {})[s.name] || '-'), el('td', {}, secs(s.durationMs))))),
    ...run.scenarios.map(scenario),
  );
  document.body.dataset.ready = 'true';
})();
