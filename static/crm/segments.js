/* Segment builder: AND/OR groups of conditions → the JSON definition in #segment-definition.
   The server validates everything; this only builds the shape and asks for a live count and preview. */
(function () {
  "use strict";
  var root = document.getElementById("segment-builder");
  if (!root) return;
  var schema = JSON.parse(document.getElementById("segment-schema").textContent);
  var T = JSON.parse(document.getElementById("segment-texts").textContent);
  var hidden = document.getElementById("segment-definition");
  var fields = {};
  schema.fields.forEach(function (f) { fields[f.key] = f; });
  var LIST_OPS = { "in": 1, "not_in": 1 };
  var NO_VALUE = { "is_empty": 1, "is_not_empty": 1 };
  var state;
  try { state = JSON.parse(hidden.value || "{}"); } catch (e) { state = {}; }
  if (!state || (state.op !== "and" && state.op !== "or")) state = { op: "and", conditions: [] };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function newCondition() {
    var f = schema.fields[0];
    return { field: f.key, operator: f.operators[0].key, value: null };
  }

  // Typed values: numbers where the field counts, booleans for yes/no; text stays text (the server checks).
  function typed(field, raw) {
    if (raw === null || raw === undefined) return null;
    if (field.type === "bool") return raw === "true";
    if (field.type === "manager" || field.type === "categories" || field.type === "number" || field.type === "days") {
      var trimmed = String(raw).trim();
      return /^\d+$/.test(trimmed) ? parseInt(trimmed, 10) : trimmed;
    }
    return String(raw);
  }

  function options(field) { return field.options || null; }

  function valueInput(field, value, onChange, label) {
    var opts = options(field);
    if (field.type === "bool") {
      opts = [{ value: "true", label: T.yes }, { value: "false", label: T.no }];
      value = value === false ? "false" : "true";
    }
    if (opts) {
      var select = el("select", { "aria-label": label, onchange: function () { onChange(typed(field, select.value)); } });
      var optgroups = {};
      opts.forEach(function (o) {
        var option = el("option", { value: String(o.value), text: o.label });
        if (String(o.value) === String(value)) option.selected = true;
        if (o.group) {  // regions under their federal district
          if (!optgroups[o.group]) select.appendChild(optgroups[o.group] = el("optgroup", { label: o.group }));
          optgroups[o.group].appendChild(option);
        } else {
          select.appendChild(option);
        }
      });
      if (value === null || value === undefined) onChange(typed(field, select.value), true);
      return select;
    }
    var type = field.type === "date" ? "date" : "text";
    var input = el("input", { type: type, "aria-label": label, size: 14, value: value === null || value === undefined ? "" : String(value) });
    if (field.suggestions) input.setAttribute("list", suggestionList(field).id);  // cities: the browser searches them
    input.addEventListener("input", function () { onChange(typed(field, input.value)); });
    return input;
  }

  // Regions: a box of checkboxes per federal district and a filter box (instead of a Ctrl-click list).
  function groupedChecklist(field, opts, list, onChange) {
    var chosen = list.map(String);
    var box = el("div", { "class": "seg-picker" });
    var filter = el("input", { type: "search", "class": "seg-picker-filter", "aria-label": T.find, placeholder: T.find });
    box.appendChild(filter);
    var groups = [];
    var byName = {};
    opts.forEach(function (o) {
      var g = byName[o.group];
      if (!g) {
        g = byName[o.group] = { name: o.group, details: el("details", { "class": "seg-district" }), summary: el("summary"), items: [] };
        g.details.appendChild(g.summary);
        groups.push(g);
        box.appendChild(g.details);
      }
      var check = el("input", { type: "checkbox", value: String(o.value) });
      check.checked = chosen.indexOf(String(o.value)) >= 0;
      var label = el("label", { "class": "seg-check" }, [check, document.createTextNode(" " + o.label)]);
      check.addEventListener("change", emit);
      g.details.appendChild(label);
      g.items.push({ label: label, check: check, text: o.label.toLowerCase() });
    });
    function summaries() {
      groups.forEach(function (g) {
        var n = g.items.filter(function (i) { return i.check.checked; }).length;
        g.summary.textContent = g.name + (n ? " (" + T.chosen + ": " + n + ")" : "");
        if (n && !filter.value) g.details.open = true;
      });
    }
    function emit() {
      var values = [];
      groups.forEach(function (g) {
        g.items.forEach(function (i) { if (i.check.checked) values.push(typed(field, i.check.value)); });
      });
      summaries();
      onChange(values);
    }
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      groups.forEach(function (g) {
        var shown = 0;
        g.items.forEach(function (i) {
          var match = !q || i.text.indexOf(q) >= 0 || g.name.toLowerCase().indexOf(q) >= 0;
          i.label.hidden = !match;
          if (match) shown += 1;
        });
        g.details.hidden = shown === 0;
        g.details.open = q ? shown > 0 : g.items.some(function (i) { return i.check.checked; });
      });
    });
    summaries();
    return box;
  }

  function suggestionList(field) {
    var id = "seg-suggest-" + field.key;
    var list = document.getElementById(id);
    if (!list) {
      list = el("datalist", { id: id });
      field.suggestions.forEach(function (s) { list.appendChild(el("option", { value: s })); });
      document.body.appendChild(list);
    }
    return list;
  }

  function listInput(field, value, onChange) {
    var list = Array.isArray(value) ? value : [];
    var opts = options(field);
    if (opts && opts.length && opts[0].group) return groupedChecklist(field, opts, list, onChange);
    if (opts) {
      var select = el("select", { multiple: "multiple", size: Math.min(6, opts.length), "aria-label": field.label });
      opts.forEach(function (o) {
        var option = el("option", { value: String(o.value), text: o.label });
        if (list.map(String).indexOf(String(o.value)) >= 0) option.selected = true;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        onChange(Array.prototype.filter.call(select.options, function (o) { return o.selected; })
          .map(function (o) { return typed(field, o.value); }));
      });
      return select;
    }
    var input = el("input", { type: "text", size: 30, placeholder: T.comma, "aria-label": field.label, value: list.join(", ") });
    input.addEventListener("input", function () {
      onChange(input.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean)
        .map(function (s) { return typed(field, s); }));
    });
    return input;
  }

  function renderCondition(cond, parent, index) {
    var field = fields[cond.field] || schema.fields[0];
    var row = el("div", { "class": "seg-row", "data-condition": "" });
    var fieldSelect = el("select", { "aria-label": T.field, "class": "seg-field" });
    schema.fields.forEach(function (f) {
      var o = el("option", { value: f.key, text: f.label });
      if (f.key === field.key) o.selected = true;
      fieldSelect.appendChild(o);
    });
    fieldSelect.addEventListener("change", function () {
      var f = fields[fieldSelect.value];
      parent.conditions[index] = { field: f.key, operator: f.operators[0].key, value: null };
      changed(true);
    });
    var opSelect = el("select", { "aria-label": T.operator, "class": "seg-operator" });
    field.operators.forEach(function (op) {
      var o = el("option", { value: op.key, text: op.label });
      if (op.key === cond.operator) o.selected = true;
      opSelect.appendChild(o);
    });
    opSelect.addEventListener("change", function () {
      var wasList = LIST_OPS[cond.operator], isList = LIST_OPS[opSelect.value];
      cond.operator = opSelect.value;
      if (NO_VALUE[cond.operator]) cond.value = null;
      else if (cond.operator === "between") cond.value = [null, null];
      else if (isList && !wasList) cond.value = cond.value === null || Array.isArray(cond.value) ? [] : [cond.value];
      else if (!isList && Array.isArray(cond.value)) cond.value = null;
      changed(true);
    });
    row.appendChild(fieldSelect);
    row.appendChild(opSelect);
    if (LIST_OPS[cond.operator]) {
      row.appendChild(listInput(field, cond.value, function (v) { cond.value = v; changed(false); }));
    } else if (cond.operator === "between") {
      if (!Array.isArray(cond.value) || cond.value.length !== 2) cond.value = [null, null];
      row.appendChild(el("span", { text: T.from }));
      row.appendChild(valueInput(field, cond.value[0], function (v, quiet) { cond.value[0] = v; if (!quiet) changed(false); }, T.from));
      row.appendChild(el("span", { text: T.to }));
      row.appendChild(valueInput(field, cond.value[1], function (v, quiet) { cond.value[1] = v; if (!quiet) changed(false); }, T.to));
    } else if (!NO_VALUE[cond.operator]) {
      row.appendChild(valueInput(field, cond.value, function (v, quiet) { cond.value = v; if (!quiet) changed(false); }, T.value));
    }
    row.appendChild(el("button", { type: "button", text: T.remove, onclick: function () { parent.conditions.splice(index, 1); changed(true); } }));
    return row;
  }

  function renderGroup(group, parent, index, depth) {
    var box = el("div", { "class": "seg-group", "data-group": String(depth) });
    var head = el("div", { "class": "seg-row" });
    var op = el("select", { "aria-label": T.group, "class": "seg-op" });
    [["and", T.and], ["or", T.or]].forEach(function (pair) {
      var o = el("option", { value: pair[0], text: pair[1] });
      if (pair[0] === group.op) o.selected = true;
      op.appendChild(o);
    });
    op.addEventListener("change", function () { group.op = op.value; changed(false); });
    head.appendChild(op);
    if (parent) {
      head.appendChild(el("button", { type: "button", text: T.remove, onclick: function () { parent.conditions.splice(index, 1); changed(true); } }));
    }
    box.appendChild(head);
    group.conditions.forEach(function (item, i) {
      box.appendChild(item && item.conditions ? renderGroup(item, group, i, depth + 1) : renderCondition(item, group, i));
    });
    var actions = el("div", { "class": "seg-row" });
    actions.appendChild(el("button", { type: "button", "class": "seg-add-condition", text: T.add_condition,
      onclick: function () { group.conditions.push(newCondition()); changed(true); } }));
    if (depth < 3) {
      actions.appendChild(el("button", { type: "button", "class": "seg-add-group", text: T.add_group,
        onclick: function () { group.conditions.push({ op: "or", conditions: [newCondition()] }); changed(true); } }));
    }
    box.appendChild(actions);
    return box;
  }

  function render() {
    root.textContent = "";
    root.appendChild(renderGroup(state, null, 0, 1));
  }

  var timer = null;
  var sequence = 0;
  function changed(redraw) {
    if (redraw) render();
    hidden.value = JSON.stringify(state);
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }

  function refresh() {
    var mine = ++sequence;
    var countNode = document.getElementById("segment-count");
    var errorNode = document.getElementById("segment-error");
    var table = document.getElementById("segment-preview");
    countNode.textContent = T.counting;
    fetch(root.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.getAttribute("data-csrf") },
      body: hidden.value
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (mine !== sequence) return;
      table.textContent = "";
      if (!result.ok) {
        countNode.textContent = "—";
        errorNode.textContent = result.body.error || T.failed;
        return;
      }
      errorNode.textContent = "";
      countNode.textContent = T.count + " " + result.body.count.toLocaleString("ru-RU");
      if (!result.body.buyers.length) { table.appendChild(el("caption", { text: T.none })); return; }
      table.appendChild(el("caption", { text: T.preview }));
      table.appendChild(el("tr", {}, [el("th", { text: T.name }), el("th", { text: T.city }), el("th", { text: T.tier })]));
      result.body.buyers.forEach(function (b) {
        table.appendChild(el("tr", {}, [el("td", { text: b.name }), el("td", { text: b.city || "—" }), el("td", { text: b.tier || "—" })]));
      });
    }).catch(function () {
      if (mine !== sequence) return;
      countNode.textContent = "—";
      errorNode.textContent = T.failed;
    });
  }

  render();
  changed(false);
})();
