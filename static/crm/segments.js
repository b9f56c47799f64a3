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
      opts.forEach(function (o) {
        var option = el("option", { value: String(o.value), text: o.label });
        if (String(o.value) === String(value)) option.selected = true;
        select.appendChild(option);
      });
      if (value === null || value === undefined) onChange(typed(field, select.value), true);
      return select;
    }
    var type = field.type === "date" ? "date" : "text";
    var input = el("input", { type: type, "aria-label": label, size: 14, value: value === null || value === undefined ? "" : String(value) });
    input.addEventListener("input", function () { onChange(typed(field, input.value)); });
    return input;
  }

  function listInput(field, value, onChange) {
    var list = Array.isArray(value) ? value : [];
    var opts = options(field);
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
