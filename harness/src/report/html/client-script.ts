// The page's own script, inlined after chart.js. It reads the chart specs from the JSON data
// block and draws them; everything it needs that JSON cannot carry lives here: tick formatters,
// the log "1/(1-p)" percentile axis, and two small plugins (labelled marker lines for faults,
// SLOs and N*, and confidence-interval whiskers on bars). Written as plain ES2017 so it runs
// in any current browser without a build step; kept free of backticks and "${" because it sits
// in a TypeScript template literal.

export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var Chart = window.Chart;
  var dataElement = document.getElementById('loadlab-data');
  if (!Chart || !dataElement) { console.error('LoadLab report: chart.js or the data block is missing'); return; }
  var report = JSON.parse(dataElement.textContent || '{}');
  var grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function trim(s) { return s.indexOf('.') < 0 ? s : s.replace(/0+$/, '').replace(/\.$/, ''); }
  function num(v) {
    if (!isNum(v)) return '\u2014';
    var a = Math.abs(v);
    if (a >= 1000) return grouped.format(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return trim(v.toFixed(1));
    if (a >= 0.1 || a === 0) return trim(v.toFixed(2));
    return v.toPrecision(2);
  }
  function pct(v, digits) {
    if (!isNum(v)) return '\u2014';
    var p = v * 100;
    var d = digits !== undefined ? digits : (p !== 0 && (Math.abs(p) < 1 || (p > 99 && p < 100)) ? 2 : 1);
    return trim(p.toFixed(d)) + ' %';
  }
  // x = 1/(1-p): 2 -> 50 %, 10 -> 90 %, 1000 -> 99.9 %.
  function percentileOf(x) { return x <= 1 ? 0 : 100 * (1 - 1 / x); }
  function percentileText(x, digits) {
    var p = percentileOf(x);
    return trim(p.toFixed(digits !== undefined ? digits : 4)) + ' %';
  }
  function tick(format, v, ticks) {
    switch (format) {
      case 'percent': {
        // As many decimals as the tick spacing needs: 0.05 % steps get two, 10 % steps none.
        var step = ticks && ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) * 100 : 1;
        return pct(v, Math.max(0, Math.min(4, Math.ceil(-Math.log10(step) - 1e-9))));
      }
      case 'seconds': return num(v) + ' s';
      case 'count': return grouped.format(v);
      default: return num(v);
    }
  }
  function full(format, v) {
    if (!isNum(v)) return '\u2014';
    switch (format) {
      case 'ms': return num(v) + ' ms';
      case 'rps': return num(v) + ' req/s';
      case 'percent': return pct(v);
      case 'seconds': return num(v) + ' s';
      case 'count': return grouped.format(v);
      case 'replicas': return num(v) + ' replicas';
      default: return num(v);
    }
  }
  function tint(hex, alpha) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    if (!m) return hex;
    return 'rgba(' + parseInt(m[1], 16) + ',' + parseInt(m[2], 16) + ',' + parseInt(m[3], 16) + ',' + alpha + ')';
  }

  // Labelled marker lines: faults (vertical), SLO and target lines (horizontal), N*.
  function refLinesPlugin(lines) {
    return {
      id: 'loadlabRefLines',
      afterDatasetsDraw: function (chart) {
        var ctx = chart.ctx, area = chart.chartArea, xCount = 0;
        ctx.save();
        ctx.font = '11px ' + Chart.defaults.font.family;
        (lines || []).forEach(function (line) {
          var scale = chart.scales[line.axis];
          if (!scale || !isNum(line.value)) return;
          var px = scale.getPixelForValue(line.value);
          var vertical = line.axis === 'x';
          if (vertical ? (px < area.left - 0.5 || px > area.right + 0.5) : (px < area.top - 0.5 || px > area.bottom + 0.5)) return;
          ctx.strokeStyle = line.color;
          ctx.lineWidth = 1.5;
          ctx.setLineDash(line.dashed ? [5, 4] : []);
          ctx.beginPath();
          if (vertical) { ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); }
          else { ctx.moveTo(area.left, px); ctx.lineTo(area.right, px); }
          ctx.stroke();
          ctx.setLineDash([]);
          var text = line.label || '';
          if (!text) return;
          var w = ctx.measureText(text).width + 6, tx, ty;
          if (vertical) {
            // Stagger labels of nearby markers so they do not overwrite each other.
            ty = area.top + 4 + (xCount % 4) * 15;
            xCount += 1;
            tx = px + 3 + w > area.right ? px - 3 - w : px + 3;
          } else {
            tx = area.right - w - 2;
            ty = px - 16 < area.top ? px + 2 : px - 16;
          }
          ctx.fillStyle = 'rgba(255,255,255,0.85)';
          ctx.fillRect(tx, ty, w, 14);
          ctx.fillStyle = line.color;
          ctx.textBaseline = 'top';
          ctx.fillText(text, tx + 3, ty + 2);
        });
        ctx.restore();
      }
    };
  }

  // Confidence-interval whiskers on bars: dataset.whiskers[i] = [lo, hi] in data units.
  var whiskersPlugin = {
    id: 'loadlabWhiskers',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      chart.data.datasets.forEach(function (ds, di) {
        if (!ds.whiskers) return;
        var meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        var scale = chart.scales[meta.yAxisID];
        ds.whiskers.forEach(function (w, i) {
          var bar = meta.data[i];
          if (!w || !bar || !isNum(w[0]) || !isNum(w[1])) return;
          var top = scale.getPixelForValue(w[1]), bottom = scale.getPixelForValue(w[0]);
          var half = Math.max(4, Math.min(12, (bar.width || 24) / 4));
          ctx.save();
          ctx.beginPath();
          ctx.rect(chart.chartArea.left, chart.chartArea.top, chart.chartArea.right - chart.chartArea.left, chart.chartArea.bottom - chart.chartArea.top);
          ctx.clip();
          ctx.strokeStyle = '#1f2937';
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(bar.x, top); ctx.lineTo(bar.x, bottom);
          ctx.moveTo(bar.x - half, top); ctx.lineTo(bar.x + half, top);
          ctx.moveTo(bar.x - half, bottom); ctx.lineTo(bar.x + half, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };

  function axis(spec, position, isX) {
    var a = {
      type: spec.type === 'percentile' ? 'logarithmic' : spec.type,
      position: position,
      title: { display: true, text: spec.title, color: '#4b5563' },
      grid: { color: '#eef0f3' },
      border: { color: '#d1d5db' },
      ticks: { color: '#4b5563' }
    };
    if (isNum(spec.min)) a.min = spec.min;
    if (isNum(spec.max)) a.max = spec.max;
    if (isNum(spec.suggestedMax)) a.suggestedMax = spec.suggestedMax;
    if (spec.stacked) a.stacked = true;
    if (spec.type === 'percentile') {
      a.min = 1;
      a.afterBuildTicks = function (scale) {
        var values = [1, 2, 10, 100, 1000, 10000, 100000, 1000000];
        scale.ticks = values.filter(function (v) { return v >= scale.min && v <= scale.max * 1.0001; }).map(function (v) { return { value: v }; });
      };
      a.ticks.callback = function (v) { return percentileText(v); };
      a.ticks.autoSkip = false;
    } else if (spec.type !== 'category') {
      a.ticks.callback = function (v, i, ticks) { return tick(spec.format, v, ticks); };
      if (spec.format === 'replicas') a.ticks.precision = 0;
    }
    if (!isX && spec.type === 'linear' && a.min === undefined) a.beginAtZero = true;
    return a;
  }

  function dataset(d, many) {
    var kind = d.kind;
    var ds = {
      type: kind,
      label: d.label,
      data: d.data,
      yAxisID: d.axis || 'y',
      borderColor: d.color,
      backgroundColor: d.barColors ? d.barColors.map(function (c) { return tint(c, 0.85); }) : (kind === 'bar' ? tint(d.color, 0.85) : d.fill ? tint(d.color, 0.12) : d.color),
      borderWidth: kind === 'bar' ? 0 : 2,
      pointRadius: isNum(d.pointRadius) ? d.pointRadius : (many ? 0 : 2.5),
      pointHoverRadius: 4,
      pointBackgroundColor: d.pointColors || d.color,
      pointBorderColor: d.pointColors || d.color,
      fill: !!d.fill,
      stepped: d.stepped ? 'middle' : false,
      tension: 0,
      spanGaps: false,
      whiskers: d.whiskers
    };
    if (d.dashed) ds.borderDash = [6, 4];
    if (kind === 'scatter') ds.showLine = false;
    if (kind === 'bar') { ds.borderRadius = 2; ds.maxBarThickness = 56; }
    return ds;
  }

  function config(spec) {
    var categorical = !!spec.labels;
    var many = spec.datasets.some(function (d) { return d.data.length > 20; });
    var scales = { x: axis(spec.x, 'bottom', true), y: axis(spec.y, 'left', false) };
    if (spec.y2) { scales.y2 = axis(spec.y2, 'right', false); scales.y2.grid = { drawOnChartArea: false }; }
    var formats = { y: spec.y.format, y2: spec.y2 ? spec.y2.format : spec.y.format };
    return {
      type: categorical ? 'bar' : 'line',
      data: { labels: spec.labels, datasets: spec.datasets.map(function (d) { return dataset(d, many); }) },
      plugins: [refLinesPlugin(spec.refLines), whiskersPlugin],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),
        normalized: true,
        interaction: categorical ? { mode: 'index', intersect: false } : { mode: 'nearest', axis: 'x', intersect: false },
        scales: scales,
        plugins: {
          legend: { display: spec.legend !== undefined ? spec.legend : spec.datasets.length > 1, position: 'bottom', labels: { boxWidth: 12, boxHeight: 12, padding: 14 } },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) return '';
                if (categorical) return items[0].label;
                var x = items[0].parsed.x;
                return spec.x.type === 'percentile' ? 'p' + percentileText(x, 3).replace(' %', '') : full(spec.x.format, x);
              },
              label: function (item) {
                var lines = [item.dataset.label + ': ' + full(formats[item.dataset.yAxisID] || spec.y.format, item.parsed.y)];
                var w = item.dataset.whiskers && item.dataset.whiskers[item.dataIndex];
                if (w) lines.push('interval: ' + full(spec.y.format, w[0]) + ' \u2013 ' + full(spec.y.format, w[1]));
                return lines;
              }
            }
          }
        }
      }
    };
  }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = '#374151';

  var drawn = 0;
  (report.charts || []).forEach(function (spec) {
    var canvas = document.querySelector('canvas[data-chart="' + spec.id + '"]');
    if (!canvas) { console.error('LoadLab report: no canvas for chart ' + spec.id); return; }
    try {
      new Chart(canvas, config(spec));
      drawn += 1;
    } catch (error) {
      console.error('LoadLab report: chart ' + spec.id + ' failed: ' + (error && error.message));
      var note = document.createElement('p');
      note.className = 'chart-error';
      note.textContent = 'This chart could not be drawn; its numbers are in the table below.';
      canvas.parentNode.replaceChild(note, canvas);
    }
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));

  // Printing: open every numbers table (except bulky per-second ones) and let charts fit the page.
  function printing(on) {
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) {
      if (on && !d.open && !d.hasAttribute('data-print-skip')) { d.setAttribute('data-print-opened', ''); d.open = true; }
      if (!on && d.hasAttribute('data-print-opened')) { d.removeAttribute('data-print-opened'); d.open = false; }
    });
    Object.keys(Chart.instances).forEach(function (id) { Chart.instances[id].resize(); });
  }
  window.addEventListener('beforeprint', function () { printing(true); });
  window.addEventListener('afterprint', function () { printing(false); });
  var printQuery = window.matchMedia('print');
  if (printQuery.addEventListener) printQuery.addEventListener('change', function (e) { printing(e.matches); });
})();
`
