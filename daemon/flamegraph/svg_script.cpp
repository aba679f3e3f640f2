// Inline CSS and JavaScript of the flamegraph SVG. They must not contain "]]>" (they sit in
// CDATA sections) and may not load anything: the file is opened from disk, often offline.
// The number formatting mirrors units.cpp, so a search total reads like the frames' values.
#include "flamegraph/svg_script.h"

namespace waitprof {

const char kSvgStyle[] = R"css(
text { font-family: Verdana, "DejaVu Sans", "Bitstream Vera Sans", sans-serif; font-size: 12px; fill: #000; }
#title { font-size: 17px; text-anchor: middle; }
#subtitle { fill: #333; text-anchor: middle; }
#notes { font-size: 11px; fill: #777; text-anchor: middle; }
#details { fill: #000; }
#matched { text-anchor: end; }
#unzoom { cursor: pointer; fill: #0645ad; }
#unzoom:hover { text-decoration: underline; }
g.f { cursor: pointer; }
g.f text { pointer-events: none; }
g.f:hover rect { stroke: #333; stroke-width: 0.8; }
.hide { display: none; }
g.f.parent { opacity: 0.55; }
g.f.match rect { fill: rgb(230,0,230); }
#search { box-sizing: border-box; width: 100%; height: 24px; margin: 0; padding: 2px 6px;
  font: 12px Verdana, "DejaVu Sans", sans-serif; border: 1px solid #999; border-radius: 3px;
  background: rgba(255,255,255,0.85); }
#search:focus { outline: 2px solid #e600e6; outline-offset: -1px; }
)css";

const char kSvgScript[] = R"js(
(function () {
  'use strict';
  var svg = document.documentElement;
  var PAD = 10, FONT = 12, CHAR_WIDTH = 0.59 * FONT;
  var WIDTH = Number(svg.getAttribute('width')) - 2 * PAD;
  var total = Number(svg.getAttribute('data-total'));
  var unit = svg.getAttribute('data-unit') || '';
  var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));
  var details = document.getElementById('details');
  var matched = document.getElementById('matched');
  var unzoomButton = document.getElementById('unzoom');
  var searchBox = document.getElementById('search');
  var zoomed = null;

  // --- numbers, as units.cpp writes them -------------------------------------------------
  function thousands(n) {
    var digits = String(Math.abs(Math.round(n))), out = '';
    for (var i = 0; i < digits.length; i++) {
      if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
      out += digits[i];
    }
    return (n < 0 ? '-' : '') + out;
  }
  function scaled(v, suffix) {
    var mag = Math.abs(v);
    if (mag >= 999.95) return thousands(Math.round(v)) + ' ' + suffix;
    return v.toFixed(mag < 9.995 ? 2 : 1) + ' ' + suffix;
  }
  function pick(v, scales, small) {
    for (var i = 0; i < scales.length; i++) {
      if (Math.abs(v) >= scales[i][0] * 0.99995) return scaled(v / scales[i][0], scales[i][1]);
    }
    return small(v);
  }
  var TIME = [[1e9, 's'], [1e6, 'ms'], [1e3, '\u00b5s']];
  var BYTES = [[Math.pow(1024, 5), 'PiB'], [Math.pow(1024, 4), 'TiB'], [Math.pow(1024, 3), 'GiB'],
               [Math.pow(1024, 2), 'MiB'], [1024, 'KiB']];
  var TIME_UNITS = {nanoseconds: 1, ns: 1, microseconds: 1e3, us: 1e3, milliseconds: 1e6,
                    ms: 1e6, seconds: 1e9, s: 1e9};
  function formatValue(v) {
    if (TIME_UNITS.hasOwnProperty(unit)) {
      return pick(v * TIME_UNITS[unit], TIME, function (ns) { return thousands(ns) + ' ns'; });
    }
    if (unit === 'bytes' || unit === 'B') {
      return pick(v, BYTES, function (b) { return String(Math.round(b)) + ' B'; });
    }
    if (unit === '' || unit === 'count') return thousands(v);
    return thousands(v) + ' ' + unit;
  }
  function formatPercent(part, whole) {
    if (whole === 0 || part === 0) return '0%';
    var pct = 100 * part / whole;
    if (Math.abs(pct) < 0.005) return '<0.01%';
    return pct.toFixed(Math.abs(pct) < 0.995 ? 2 : 1) + '%';
  }

  // --- frames ------------------------------------------------------------------------------
  function info(g) {
    if (!g.fg) {
      var t = g.querySelector('title').textContent, nl = t.lastIndexOf('\n');
      var rect = g.querySelector('rect');
      g.fg = {name: t.substring(0, nl), stats: t.substring(nl + 1),
              x: Number(g.getAttribute('data-x')), v: Number(g.getAttribute('data-v')),
              y: Number(rect.getAttribute('y')), rect: rect, text: g.querySelector('text')};
    }
    return g.fg;
  }
  // Same rule as frame_label() in svg_render.cpp.
  function label(name, w) {
    var fit = (w - 6) / CHAR_WIDTH;
    if (fit < 3) return '';
    var chars = Math.floor(fit), cps = Array.from(name);
    if (cps.length <= chars) return name;
    return cps.slice(0, chars - 2).join('') + '..';
  }
  function place(g, x, w) {
    var f = info(g);
    f.rect.setAttribute('x', x.toFixed(2));
    f.rect.setAttribute('width', w.toFixed(2));
    f.text.setAttribute('x', (x + 3).toFixed(2));
    f.text.textContent = label(f.name, w);
  }
  // Shows the part of the graph in [x0, x0 + v0) (value units) across the full width.
  function layout(x0, v0) {
    var scale = WIDTH / v0;
    frames.forEach(function (g) {
      var f = info(g);
      place(g, PAD + (f.x - x0) * scale, f.v * scale);
    });
  }

  function zoom(g) {
    var z = info(g);
    zoomed = g;
    var scale = WIDTH / z.v;
    frames.forEach(function (h) {
      var f = info(h);
      var inside = f.x >= z.x && f.x + f.v <= z.x + z.v && f.y <= z.y;
      // Rows below the zoomed frame hold its callers: they stay, full width and faded.
      var caller = f.y > z.y && f.x <= z.x && f.x + f.v >= z.x + z.v;
      h.classList.toggle('hide', !inside && !caller);
      h.classList.toggle('parent', caller);
      if (inside) place(h, PAD + (f.x - z.x) * scale, f.v * scale);
      else if (caller) place(h, PAD, WIDTH);
    });
    unzoomButton.classList.remove('hide');
  }
  function unzoom() {
    zoomed = null;
    frames.forEach(function (h) { h.classList.remove('hide', 'parent'); });
    layout(0, total);
    unzoomButton.classList.add('hide');
  }

  // --- search: case-insensitive substring, or a regular expression written as /re/ ---------
  function matcher(term) {
    if (term.length > 2 && term[0] === '/' && term[term.length - 1] === '/') {
      try {
        var re = new RegExp(term.slice(1, -1));
        return function (s) { return re.test(s); };
      } catch (e) { /* not a valid expression: search for the text itself */ }
    }
    var needle = term.toLowerCase();
    return function (s) { return s.toLowerCase().indexOf(needle) >= 0; };
  }
  function search(term) {
    var match = term ? matcher(term) : null, spans = [];
    frames.forEach(function (g) {
      var f = info(g);
      var hit = !!match && g.id !== 'root' && match(f.name);
      g.classList.toggle('match', hit);
      if (hit) spans.push([f.x, f.x + f.v]);
    });
    if (!match) {
      matched.textContent = ' ';
      return;
    }
    // A matching frame above another one is the same time counted twice: add up the union.
    spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var sum = 0, end = -Infinity;
    spans.forEach(function (s) {
      if (s[0] >= end) { sum += s[1] - s[0]; end = s[1]; }
      else if (s[1] > end) { sum += s[1] - end; end = s[1]; }
    });
    matched.textContent = spans.length === 0 ? 'No match' :
        'Matched: ' + formatValue(sum) + ' (' + formatPercent(sum, total) + ')';
  }

  // --- events ------------------------------------------------------------------------------
  svg.addEventListener('mouseover', function (e) {
    var g = e.target.closest && e.target.closest('g.f');
    if (g) details.textContent = info(g).name + ' \u2014 ' + info(g).stats;
  });
  svg.addEventListener('mouseout', function (e) {
    var g = e.target.closest && e.target.closest('g.f');
    if (g) details.textContent = ' ';
  });
  svg.addEventListener('click', function (e) {
    if (e.target === unzoomButton) { unzoom(); return; }
    var g = e.target.closest && e.target.closest('g.f');
    if (!g) return;
    if (g.id === 'root') unzoom();
    else zoom(g);
  });
  if (searchBox) {
    searchBox.addEventListener('input', function () { search(searchBox.value); });
  }
  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) {
      // The browser's own find cannot see frame names cut to fit: search the graph instead.
      e.preventDefault();
      if (searchBox && searchBox.getBoundingClientRect().width > 0) {
        searchBox.focus();
        searchBox.select();
      } else {
        var term = window.prompt('Search for (substring, or /regular expression/):', '');
        if (term !== null) search(term);
      }
    } else if (e.key === 'Escape') {
      if (searchBox && searchBox.value) {
        searchBox.value = '';
        search('');
      } else if (zoomed) {
        unzoom();
      }
    }
  });
})();
)js";

}  // namespace waitprof
