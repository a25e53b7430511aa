// dwm docs: renders the manifest and catalog embedded in this page. Everything is computed here,
// in the browser, from those two JSON documents, so the page works from file:// with no server.
// Text from the project is only ever set through textContent, never parsed as HTML.
(function () {
  "use strict";
  var M = JSON.parse(document.getElementById("dwm-manifest").textContent);
  var C = JSON.parse(document.getElementById("dwm-catalog").textContent);
  var nodes = M.nodes || {};
  var ids = Object.keys(nodes).sort(function (a, b) {
    return nodes[a].name.localeCompare(nodes[b].name) || a.localeCompare(b);
  });
  var isTest = function (n) { return n.resource_type === "test" || n.resource_type === "unit_test"; };

  // Reverse edges and test attachments, computed once.
  var children = {}, tableTests = {}, columnTests = {};
  ids.forEach(function (id) { children[id] = []; tableTests[id] = []; columnTests[id] = {}; });
  ids.forEach(function (id) {
    var n = nodes[id];
    (n.depends_on || []).forEach(function (p) { if (children[p]) children[p].push(id); });
    if (!isTest(n)) return;
    var t = n.test_metadata || {};
    var targets = t.attached_node ? [t.attached_node] : (n.depends_on || []);
    targets.forEach(function (p) {
      if (!tableTests[p]) return;
      if (t.column_name) (columnTests[p][t.column_name] = columnTests[p][t.column_name] || []).push(id);
      else tableTests[p].push(id);
    });
  });

  function catalogEntry(id) {
    if (!C) return null;
    return (C.nodes && C.nodes[id]) || (C.sources && C.sources[id]) || null;
  }

  // h builds an element: h("a", {href: "#x"}, "text", child, [more children]).
  function h(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "class") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }
  function append(e, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { append(e, x); });
    else e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  function link(id, label) {
    var n = nodes[id];
    if (!n) return h("span", {class: "mono"}, id);
    return h("a", {href: "#" + encodeURIComponent(id), title: id}, label || n.name);
  }
  function display(n) {
    return n.source ? n.source.source_name + "." + n.name : n.name;
  }
  function folder(n) {
    if (n.resource_type === "source") return n.source ? n.source.source_name : "sources";
    var p = n.original_file_path || "";
    var i = p.lastIndexOf("/");
    return i < 0 ? "." : p.slice(0, i);
  }
  function fmtValue(v) {
    if (Array.isArray(v)) return v.join(", ");
    if (v !== null && typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  function fmtBytes(b) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return (i ? b.toFixed(1) : b) + " " + units[i];
  }

  // ---- sidebar -----------------------------------------------------------------------------
  var SECTIONS = [["Models", ["model"], true], ["Snapshots", ["snapshot"], true], ["Seeds", ["seed"], true], ["Sources", ["source"], true],
    ["Tests", ["test", "unit_test"], false]];
  var tree = document.getElementById("tree");
  SECTIONS.forEach(function (s) {
    var groups = {};
    ids.forEach(function (id) {
      var n = nodes[id];
      if (s[1].indexOf(n.resource_type) < 0) return;
      (groups[folder(n)] = groups[folder(n)] || []).push(id);
    });
    var names = Object.keys(groups).sort();
    if (!names.length) return;
    var sec = h("section", {}, h("h4", {}, s[0]));
    names.forEach(function (g) {
      sec.appendChild(h("details", {open: s[2] ? "" : null, "data-open": s[2] ? "1" : "0"},
        h("summary", {}, g + " ", h("span", {class: "muted"}, "(" + groups[g].length + ")")),
        h("ul", {}, groups[g].map(function (id) {
          return h("li", {"data-name": nodes[id].name.toLowerCase(), "data-text": searchText(nodes[id])}, link(id));
        }))));
    });
    tree.appendChild(sec);
  });

  var search = document.getElementById("search");
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    tree.querySelectorAll("section").forEach(function (sec) {
      var any = false;
      sec.querySelectorAll("details").forEach(function (d) {
        var shown = 0;
        d.querySelectorAll("li").forEach(function (li) {
          var byName = !q || li.getAttribute("data-name").indexOf(q) >= 0;
          var byText = !byName && li.getAttribute("data-text").indexOf(q) >= 0;
          var ok = byName || byText;
          li.hidden = !ok;
          li.classList.toggle("by-content", byText);
          li.title = byText ? "matches a description or a column" : "";
          if (ok) shown++;
        });
        d.hidden = shown === 0;
        d.open = q ? shown > 0 : d.getAttribute("data-open") === "1";
        any = any || shown > 0;
      });
      sec.hidden = !any;
    });
  });
  // Enter opens the first match, so the search box doubles as "go to node"; with no match by
  // name it shows the search page, which says where each match was found.
  search.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    var first = tree.querySelector("li:not([hidden]):not(.by-content) a");
    var q = search.value.trim();
    if (first) location.hash = first.getAttribute("href");
    else if (q) location.hash = "search=" + encodeURIComponent(q);
  });

  // searchText is what the search matches besides the name: descriptions, column names and
  // column descriptions, lower-cased.
  function searchText(n) {
    var parts = [n.description || ""];
    (n.columns || []).forEach(function (c) { parts.push(c.name, c.description || ""); });
    var ce = catalogEntry(n.unique_id);
    if (ce) Object.keys(ce.columns || {}).forEach(function (k) { parts.push(k, ce.columns[k].comment || ""); });
    return parts.join("\n").toLowerCase();
  }

  // matches lists where q occurs in node n: its name, description, columns.
  function matches(n, q) {
    var out = [];
    var has = function (s) { return (s || "").toLowerCase().indexOf(q) >= 0; };
    if (has(n.name)) out.push(["name", n.name]);
    if (has(n.description)) out.push(["description", n.description]);
    var seen = {};
    (n.columns || []).forEach(function (c) {
      seen[c.name] = true;
      if (has(c.name) || has(c.description)) out.push(["column " + c.name, c.description || ""]);
    });
    var ce = catalogEntry(n.unique_id);
    if (ce) Object.keys(ce.columns || {}).forEach(function (k) {
      if (!seen[k] && (has(k) || has(ce.columns[k].comment))) out.push(["column " + k, ce.columns[k].comment || ""]);
    });
    return out;
  }

  // ---- pages -------------------------------------------------------------------------------
  var main = document.getElementById("main");

  function overview() {
    var counts = {};
    ids.forEach(function (id) { var t = nodes[id].resource_type; counts[t] = (counts[t] || 0) + 1; });
    var meta = M.metadata || {};
    var cat = C ? Object.keys(C.nodes || {}).length + Object.keys(C.sources || {}).length : 0;
    return [
      h("h1", {}, meta.project || "project"),
      h("p", {class: "muted"}, "Generated " + (meta.generated_at ? new Date(meta.generated_at).toLocaleString() : "") + " by dwm " + (meta.dwm_version || "")),
      h("div", {class: "stats"}, ["model", "seed", "source", "test", "unit_test"].filter(function (t) { return counts[t]; })
        .map(function (t) { return h("div", {}, h("span", {}, t.replace("_", " ") + "s"), h("b", {}, counts[t])); })),
      h("h2", {}, "Catalog"),
      h("p", {}, C ? cat + " relations found in the warehouse (target " + (C.metadata.target || "") + ")."
        : "No catalog: this site was generated from the manifest alone, so column types and row counts are missing."),
      h("p", {class: "muted"}, "Pick a node on the left, or type in the search box and press Enter."),
      h("h2", {}, "Lineage"), projectLineage()
    ];
  }

  // searchPage lists every node matching q by name, description or column, with where it matched.
  function searchPage(q) {
    var lq = q.toLowerCase(), rows = [];
    ids.forEach(function (id) {
      if (isTest(nodes[id])) return;
      matches(nodes[id], lq).forEach(function (m) {
        rows.push(h("tr", {}, h("td", {}, link(id, display(nodes[id]))), h("td", {class: "muted"}, nodes[id].resource_type),
          h("td", {class: "where"}, m[0]), h("td", {class: "desc"}, m[1])));
      });
    });
    return [h("h1", {}, "Search: " + q),
      rows.length ? h("table", {class: "results"}, h("tr", {}, h("th", {}, "Node"), h("th", {}, "Type"), h("th", {}, "Matched"), h("th", {}, "Text")), rows)
        : h("p", {class: "muted"}, "Nothing matches " + JSON.stringify(q) + " in names, descriptions or columns.")];
  }

  function columnsTable(id, n, ce) {
    var doc = {};
    (n.columns || []).forEach(function (c) { doc[c.name] = c; });
    var rows = [], seen = {};
    var catCols = ce ? Object.keys(ce.columns).map(function (k) { return ce.columns[k]; })
      .sort(function (a, b) { return a.index - b.index; }) : [];
    catCols.forEach(function (c) {
      seen[c.name] = true;
      rows.push({name: c.name, type: c.type, desc: (doc[c.name] && doc[c.name].description) || c.comment || ""});
    });
    (n.columns || []).forEach(function (c) {
      if (!seen[c.name]) rows.push({name: c.name, type: c.data_type || "", desc: c.description || "", missing: !!ce});
    });
    if (!rows.length) return h("p", {class: "muted"}, "No columns documented" + (C ? " or found in the warehouse." : "."));
    return h("table", {}, h("tr", {}, h("th", {}, "Column"), h("th", {}, "Type"), h("th", {}, "Description"), h("th", {}, "Tests")),
      rows.map(function (r) {
        var tests = (columnTests[id][r.name] || []).map(function (t) {
          var tm = nodes[t].test_metadata || {};
          return h("span", {class: "chip"}, link(t, tm.name || nodes[t].name));
        });
        if (!tests.length) {
          tests = ((doc[r.name] || {}).tests || []).map(function (t) { return h("span", {class: "chip"}, t.name); });
        }
        return h("tr", {},
          h("td", {class: "name mono"}, r.name, ((doc[r.name] || {}).meta || {}).pii === true
            ? h("span", {class: "chip", title: "personal data" + (doc[r.name].meta.pii_from ? ", from " + doc[r.name].meta.pii_from : "")}, "PII") : null),
          h("td", {class: "type mono", title: r.missing ? "documented but not in the warehouse" : ""}, r.type, r.missing ? " (missing)" : ""),
          h("td", {class: "desc"}, r.desc),
          h("td", {}, tests));
      }));
  }

  var CONFIG_KEYS = ["materialized", "engine", "order_by", "partition_by", "primary_key", "unique_key",
    "incremental_strategy", "settings", "tags", "column_types", "severity", "where", "warn_if", "error_if"];

  function details(n, ce) {
    var rows = [];
    var add = function (k, v) { if (v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && !v.length)) rows.push(h("dt", {}, k), h("dd", {}, v)); };
    var hasRelation = ["model", "seed", "source", "snapshot"].indexOf(n.resource_type) >= 0 && (n.config || {}).materialized !== "ephemeral";
    if (hasRelation && n.database && n.alias) add("relation", h("code", {}, n.database + "." + n.alias));
    add("path", h("code", {}, n.original_file_path));
    var compiled = (M.metadata || {}).compiled_dir;
    if (compiled && n.raw_code && n.resource_type !== "seed" && n.resource_type !== "source") {
      var p = compiled + "/" + n.original_file_path;
      add("compiled SQL", h("a", {href: p, class: "mono"}, "target/" + p));
    }
    var cfg = n.config || {}, shown = {enabled: true, raw: true, database: true, alias: true};
    if (isTest(n)) shown.materialized = true;
    CONFIG_KEYS.forEach(function (k) {
      if (!shown[k] && cfg[k] !== undefined) add(k, h("code", {}, fmtValue(cfg[k])));
      shown[k] = true;
    });
    Object.keys(cfg.raw || {}).sort().forEach(function (k) {
      if (!shown[k] && cfg[k] === undefined) add(k, h("code", {}, fmtValue(cfg.raw[k])));
    });
    if (n.test_metadata) {
      var t = n.test_metadata;
      add("generic test", t.name || "none (singular test)");
      if (t.attached_node) add("on", link(t.attached_node));
      add("column", t.column_name);
      if (t.kwargs && Object.keys(t.kwargs).length) add("arguments", h("code", {}, JSON.stringify(t.kwargs)));
    }
    if (ce) {
      // Rows and size first, as they are what people look for; then whatever else the adapter reports.
      var order = ["num_rows", "num_bytes", "engine"];
      Object.keys(ce.stats || {}).sort(function (a, b) {
        var ia = order.indexOf(a), ib = order.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
      }).forEach(function (k) {
        var s = ce.stats[k];
        if (!s.include) return;
        add(s.label, k === "num_bytes" ? fmtBytes(s.value) : typeof s.value === "number" ? s.value.toLocaleString() : fmtValue(s.value));
      });
      if (ce.metadata && ce.metadata.comment) add("comment", ce.metadata.comment);
    }
    return h("dl", {}, rows);
  }

  function list(idsIn, empty) {
    if (!idsIn.length) return h("p", {class: "muted"}, empty);
    return h("ul", {class: "links"}, idsIn.map(function (id) {
      var n = nodes[id];
      return h("li", {}, link(id, n ? display(n) : id), n ? h("span", {class: "muted"}, " " + n.resource_type) : null);
    }));
  }

  // lineage draws the node's neighbourhood, two steps up and down, as columns of boxes.
  function lineage(id) {
    var level = {}; level[id] = 0;
    var walk = function (next, dir) {
      var frontier = [id];
      for (var d = 1; d <= 2; d++) {
        var out = [];
        frontier.forEach(function (x) {
          next(x).forEach(function (y) {
            if (level[y] === undefined && nodes[y] && !isTest(nodes[y])) { level[y] = d * dir; out.push(y); }
          });
        });
        frontier = out;
      }
    };
    walk(function (x) { return nodes[x].depends_on || []; }, -1);
    walk(function (x) { return children[x] || []; }, 1);
    if (Object.keys(level).length === 1) return h("p", {class: "muted"}, "No upstream or downstream models.");
    return drawLineage(level, id, 12, "lineage");
  }

  // projectLineage draws every node but tests, each in the column of its longest path from a root.
  function projectLineage() {
    var level = {};
    var depth = function (x, seen) {
      if (level[x] !== undefined) return level[x];
      if (seen[x]) return 0; // a cycle cannot load, but never loop on one
      seen[x] = true;
      var d = 0;
      (nodes[x].depends_on || []).forEach(function (p) { if (nodes[p] && !isTest(nodes[p])) d = Math.max(d, depth(p, seen) + 1); });
      level[x] = d;
      return d;
    };
    ids.forEach(function (x) { if (!isTest(nodes[x])) depth(x, {}); });
    if (!Object.keys(level).length) return h("p", {class: "muted"}, "No nodes.");
    return drawLineage(level, null, Infinity, "lineage project");
  }

  // drawLineage draws nodes by level (level -> column), at most MAX boxes a column.
  function drawLineage(level, id, MAX, cls) {
    var cols = {};
    Object.keys(level).forEach(function (x) { (cols[level[x]] = cols[level[x]] || []).push(x); });
    var levels = Object.keys(cols).map(Number).sort(function (a, b) { return a - b; });
    var W = 180, GAP = 70, BH = 26, VG = 10, pos = {}, more = {};
    var rowsMax = Math.max.apply(null, levels.map(function (l) { return Math.min(cols[l].length, MAX + 1); }));
    levels.forEach(function (l, ci) {
      var col = cols[l].sort(function (a, b) { return nodes[a].name.localeCompare(nodes[b].name); });
      if (col.length > MAX) { more[ci] = col.length - MAX; col = col.slice(0, MAX); }
      // Short columns are centred so edges fan out from the node instead of running along the top.
      var top = more[ci] ? 0 : (rowsMax - col.length) * (BH + VG) / 2;
      col.forEach(function (x, i) { pos[x] = {x: ci * (W + GAP), y: top + i * (BH + VG)}; });
    });
    var NS = "http://www.w3.org/2000/svg";
    var s = function (tag, attrs) {
      var e = document.createElementNS(NS, tag);
      Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      for (var i = 2; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
      return e;
    };
    var width = levels.length * (W + GAP) - GAP, height = rowsMax * (BH + VG);
    var svg = s("svg", {class: cls, width: width, height: height, viewBox: "0 0 " + width + " " + height});
    Object.keys(pos).forEach(function (x) {
      (nodes[x].depends_on || []).forEach(function (p) {
        if (!pos[p] || pos[p].x >= pos[x].x) return;
        var x1 = pos[p].x + W, y1 = pos[p].y + BH / 2, x2 = pos[x].x, y2 = pos[x].y + BH / 2, m = (x1 + x2) / 2;
        svg.appendChild(s("path", {d: "M" + x1 + "," + y1 + " C" + m + "," + y1 + " " + m + "," + y2 + " " + x2 + "," + y2}));
      });
    });
    Object.keys(pos).forEach(function (x) {
      var n = nodes[x], label = display(n);
      if (label.length > 24) label = label.slice(0, 23) + "…";
      var text = s("text", {x: pos[x].x + 10, y: pos[x].y + 17});
      text.textContent = label;
      var title = s("title");
      title.textContent = n.resource_type + " " + display(n);
      var bar = s("rect", {x: pos[x].x, y: pos[x].y, width: 4, height: BH, class: "t-" + n.resource_type, style: "fill: currentColor; stroke: none"});
      svg.appendChild(s("a", {href: "#" + encodeURIComponent(x), class: x === id ? "current" : ""}, title,
        s("rect", {x: pos[x].x, y: pos[x].y, width: W, height: BH, rx: 5}), bar, text));
    });
    Object.keys(more).forEach(function (ci) {
      var t = s("text", {x: ci * (W + GAP) + 10, y: MAX * (BH + VG) + 17});
      t.textContent = "+ " + more[ci] + " more";
      t.setAttribute("class", "muted");
      svg.appendChild(t);
    });
    return svg;
  }

  function page(id) {
    var n = nodes[id], ce = catalogEntry(id);
    var ups = (n.depends_on || []).slice(), downs = (children[id] || []).filter(function (c) { return !isTest(nodes[c]); });
    var mat = (n.config || {}).materialized;
    var out = [
      h("h1", {}, display(n), h("span", {class: "badge t-" + n.resource_type}, n.resource_type.replace("_", " ")),
        mat && !isTest(n) && n.resource_type === "model" ? h("span", {class: "badge muted"}, mat) : null),
      h("p", {class: "muted mono"}, id),
      n.description ? h("p", {class: "desc"}, n.description) : h("p", {class: "muted"}, "No description."),
      h("h2", {}, "Details"), details(n, ce)
    ];
    if (!isTest(n)) out.push(h("h2", {}, "Columns"), columnsTable(id, n, ce));
    if (!isTest(n)) out.push(h("h2", {}, "Lineage"), lineage(id));
    out.push(h("div", {class: "cols2"},
      h("div", {}, h("h2", {}, "Depends on"), list(ups, "Nothing: this is a root.")),
      isTest(n) ? null : h("div", {}, h("h2", {}, "Referenced by"), list(downs, "Nothing references it."))));
    if (!isTest(n)) {
      var tests = tableTests[id].concat([]);
      Object.keys(columnTests[id]).sort().forEach(function (c) { tests = tests.concat(columnTests[id][c]); });
      out.push(h("h2", {}, "Tests"), list(tests, "No tests."));
    }
    if (n.raw_code) out.push(h("h2", {}, "Code"), h("pre", {}, h("code", {}, n.raw_code)));
    if ((M.compiled || {})[id] !== undefined) out.push(h("h2", {}, "Compiled SQL"), h("pre", {class: "compiled"}, h("code", {}, M.compiled[id])));
    return out;
  }

  function route() {
    var id = decodeURIComponent(location.hash.replace(/^#!?\/?/, ""));
    main.textContent = "";
    if (id.indexOf("search=") === 0) {
      append(main, searchPage(id.slice(7)));
      document.title = "search · " + ((M.metadata || {}).project || "") + " · dwm docs";
      return;
    }
    append(main, nodes[id] ? page(id) : overview());
    document.title = (nodes[id] ? nodes[id].name + " · " : "") + ((M.metadata || {}).project || "") + " · dwm docs";
    var want = "#" + encodeURIComponent(id);
    tree.querySelectorAll("li a").forEach(function (a) {
      var on = a.getAttribute("href") === want;
      a.classList.toggle("active", on);
      if (!on) return;
      var d = a.closest("details");
      if (d) d.open = true;
      if (a.scrollIntoView) a.scrollIntoView({block: "nearest"});
    });
    main.scrollTop = 0;
  }
  window.addEventListener("hashchange", route);
  route();
})();
