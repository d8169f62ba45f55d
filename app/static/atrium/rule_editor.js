/* The automation rule editor.

   Builds the trigger options, condition groups and actions from the editor schema
   the page embeds (#rule-editor-data), and on submit writes the whole rule as JSON
   into one hidden field. Every text comes from the page (#rule-editor-messages), so
   it is translated; no inline handlers, so it runs under a strict CSP. */
(function () {
  "use strict";

  var dataNode = document.getElementById("rule-editor-data");
  if (!dataNode) { return; }
  var data = JSON.parse(dataNode.textContent);
  var t = JSON.parse(document.getElementById("rule-editor-messages").textContent);
  var schema = data.schema;
  var labels = data.labels || {};
  var $ = window.jQuery;
  var form = document.getElementById("rule-form");
  var objectSelect = byId("rule-object");
  var triggerSelect = byId("rule-trigger");
  var triggerBox = byId("rule-trigger-options");
  var conditionsBox = byId("rule-conditions");
  var actionsBox = byId("rule-actions");
  var previewBox = byId("rule-preview-result");
  var counter = 0;

  /* ---- small helpers ---- */

  function byId(id) { return document.getElementById(id); }
  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }
  function list(value) { return Array.isArray(value) ? value : []; }
  function scalar(value) {
    return value === null || value === undefined || typeof value === "object" ? "" : String(value);
  }
  function fmt(text, number) { return String(text).replace("{n}", String(number)); }
  function nextId(prefix) { counter += 1; return "rule-" + (prefix || "w") + "-" + counter; }

  function h(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "className") { node.className = value; }
      else if (key === "value") { node.value = value; }
      else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); }
    });
    return node;
  }

  function empty(node) {
    if ($ && $.fn.select2) {
      $(node).find("select").each(function () {
        if ($(this).data("select2")) { $(this).select2("destroy"); }
      });
    }
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function button(text, icon, onClick, options) {
    options = options || {};
    var node = h("button", {
      type: "button",
      className: "btn btn-default btn-sm " + (options.className || ""),
      "aria-label": options.label,
      title: options.label,
      disabled: options.disabled
    }, [icon ? h("span", { className: "fa " + icon, "aria-hidden": "true" }) : null]);
    if (text && options.compact) {
      // Only the icon on wide screens; the words too where the row stacks.
      node.appendChild(h("span", { className: "atrium-rule-compact-text", text: " " + text }));
      node.title = text;
    } else if (text) {
      node.appendChild(document.createTextNode(" " + text));
    }
    node.addEventListener("click", onClick);
    return node;
  }

  function labelled(text, control, path, className) {
    if (!control.id) { control.id = nextId(); }
    return h("div", { className: "form-group " + (className || ""), "data-path": path }, [
      h("label", { className: "control-label", "for": control.id, text: text }),
      control
    ]);
  }

  function makeSelect(options, selected, settings) {
    settings = settings || {};
    var select = h("select", { className: "form-control", id: nextId(), "data-key": settings.key });
    var chosen = (Array.isArray(selected) ? selected : (scalar(selected) === "" ? [] : [selected])).map(scalar);
    select.multiple = Boolean(settings.multiple);
    if (!settings.multiple && settings.placeholder !== undefined) {
      select.appendChild(h("option", { value: "", text: settings.placeholder }));
    }
    list(options).forEach(function (option) {
      var node = h("option", { value: scalar(option[0]), text: scalar(option[1]) });
      node.selected = chosen.indexOf(scalar(option[0])) >= 0;
      select.appendChild(node);
    });
    return select;
  }

  /* A type-ahead select over /lookup/<kind> (select2 with AJAX, set up by enhance). */
  function lookupSelect(kind, selected, settings) {
    var select = h("select", {
      className: "form-control atrium-rule-lookup",
      id: nextId(),
      "data-key": settings.key,
      "data-lookup": kind,
      "data-endpoint": data.lookupUrl.replace("KIND", encodeURIComponent(kind))
    });
    select.multiple = Boolean(settings.multiple);
    if (!settings.multiple) { select.appendChild(h("option", { value: "" })); }
    var known = labels[kind] || {};
    (Array.isArray(selected) ? selected : [selected]).map(scalar).forEach(function (id) {
      if (!id) { return; }
      var node = h("option", { value: id, text: known[id] || "#" + id });
      node.selected = true;
      select.appendChild(node);
    });
    return select;
  }

  /* select2 on multi-selects and type-aheads, once they are in the page. */
  function enhance(root) {
    if (!$ || !$.fn.select2 || !root.isConnected) { return; }
    $(root).find("select[multiple], select.atrium-rule-lookup").each(function () {
      var $select = $(this);
      if ($select.data("select2")) { return; }
      var endpoint = $select.attr("data-endpoint");
      var settings = {
        theme: "bootstrap",
        width: "100%",
        placeholder: endpoint ? t.typeToSearch : t.choose,
        allowClear: !this.multiple
      };
      if (endpoint) {
        settings.ajax = {
          url: endpoint,
          dataType: "json",
          delay: 250,
          cache: true,
          data: function (params) { return { q: params.term || "", page: params.page || 1 }; }
        };
      }
      $select.select2(settings);
      var label = document.querySelector("label[for='" + this.id + "']");
      if (label) {
        $select.next(".select2").find(".select2-search__field, .select2-selection--single")
          .attr("aria-label", label.textContent);
      }
    });
  }

  function readControl(control) {
    if (control.type === "checkbox") { return control.checked; }
    if (control.classList.contains("atrium-rule-lookup")) {
      var kind = control.getAttribute("data-lookup");
      labels[kind] = labels[kind] || {};
      Array.prototype.forEach.call(control.selectedOptions, function (option) {
        if (option.value) { labels[kind][option.value] = option.textContent; }
      });
    }
    if (control.multiple) {
      return Array.prototype.map.call(control.selectedOptions, function (option) { return option.value; });
    }
    return control.value;
  }

  /* Controls that belong to ``box`` itself, not to a row nested in it. */
  function ownControls(box) {
    return Array.prototype.filter.call(box.querySelectorAll("[data-key]"), function (control) {
      return control.closest("[data-role]") === box;
    });
  }

  function objectSchema() {
    return schema.objects[objectSelect.value] || schema.objects.ticket;
  }

  function findBy(items, key, value) {
    return list(items).filter(function (entry) { return entry[key] === value; })[0];
  }

  /* ---- trigger and its options ---- */

  function refillTriggers(current) {
    empty(triggerSelect);
    objectSchema().triggers.forEach(function (trigger) {
      var option = h("option", { value: trigger.key, text: trigger.label });
      option.selected = trigger.key === current;
      triggerSelect.appendChild(option);
    });
  }

  function renderTriggerOptions(options) {
    options = isObject(options) ? options : {};
    empty(triggerBox);
    var trigger = triggerSelect.value;
    var statuses = objectSchema().statuses || [];
    if (trigger === "status_changed") {
      triggerBox.appendChild(labelled(t.fromStatus, makeSelect(statuses, options.from, { multiple: true, key: "from" }), "trigger_options.from"));
      triggerBox.appendChild(labelled(t.toStatus, makeSelect(statuses, options.to, { multiple: true, key: "to" }), "trigger_options.to"));
    } else if (trigger === "sla_warning" || trigger === "sla_breached") {
      triggerBox.appendChild(labelled(t.slaTarget, makeSelect(schema.sla_targets, options.target || "any", { key: "target" }), "trigger_options.target"));
    } else if (trigger === "time_based") {
      var hours = h("input", { className: "form-control", type: "number", min: "1", step: "1", id: nextId(), "data-key": "hours", value: scalar(options.hours) });
      triggerBox.appendChild(labelled(t.hours, hours, "trigger_options.hours", "atrium-rule-hours"));
      triggerBox.appendChild(labelled(t.whileIn, makeSelect(statuses, options.statuses, { multiple: true, key: "statuses" }), "trigger_options.statuses"));
    }
    triggerBox.hidden = !triggerBox.firstChild;
    enhance(triggerBox);
  }

  function readTriggerOptions() {
    var options = {};
    Array.prototype.forEach.call(triggerBox.querySelectorAll("[data-key]"), function (control) {
      options[control.getAttribute("data-key")] = readControl(control);
    });
    return options;
  }

  /* ---- conditions ---- */

  function valueControl(spec, value) {
    if (spec.lookup) { return lookupSelect(spec.lookup, value, { multiple: true, key: "value" }); }
    if (spec.options) { return makeSelect(spec.options, value, { multiple: true, key: "value" }); }
    var input = h("input", { className: "form-control", id: nextId(), "data-key": "value", value: scalar(value) });
    if (spec.kind === "number") { input.type = "number"; input.step = "any"; }
    else if (spec.kind === "date") { input.type = "date"; }
    else { input.type = "text"; input.maxLength = 500; }
    return input;
  }

  function fillValue(box, path, spec, op, value) {
    empty(box);
    if (!spec || !op || schema.valueless.indexOf(op) >= 0) { return; }
    box.appendChild(labelled(t.value, valueControl(spec, value), path + ".value", "atrium-rule-value"));
    enhance(box);
  }

  function fillCondition(row, path, row_data) {
    var opBox = row.querySelector(".atrium-rule-op-box");
    var valueBox = row.querySelector(".atrium-rule-value-box");
    var spec = findBy(objectSchema().fields, "key", scalar(row_data.field));
    empty(opBox);
    var operators = spec ? list(schema.operators[spec.kind]) : [];
    var op = operators.indexOf(scalar(row_data.op)) >= 0 ? scalar(row_data.op) : (operators[0] || "");
    var opSelect = makeSelect(operators.map(function (key) {
      return [key, schema.operator_labels[key] || key];
    }), op, { key: "op" });
    opSelect.disabled = !spec;
    opBox.appendChild(labelled(t.operator, opSelect, path + ".op", "atrium-rule-op"));
    opSelect.addEventListener("change", function () {
      var current = valueBox.querySelector("[data-key]");
      fillValue(valueBox, path, spec, opSelect.value, current ? readControl(current) : null);
    });
    fillValue(valueBox, path, spec, op, row_data.value);
  }

  function renderCondition(row_data, groupIndex, rowIndex) {
    row_data = isObject(row_data) ? row_data : {};
    var path = "conditions." + groupIndex + "." + rowIndex;
    var row = h("div", { className: "atrium-rule-row", "data-role": "condition", "data-path": path });
    var fields = objectSchema().fields.map(function (field) { return [field.key, field.label]; });
    var spec = findBy(objectSchema().fields, "key", scalar(row_data.field));
    var fieldSelect = makeSelect(fields, spec ? spec.key : "", { key: "field", placeholder: t.chooseField });
    row.appendChild(labelled(t.field, fieldSelect, path + ".field", "atrium-rule-field"));
    row.appendChild(h("div", { className: "atrium-rule-op-box" }));
    row.appendChild(h("div", { className: "atrium-rule-value-box" }));
    row.appendChild(h("div", { className: "atrium-rule-row-buttons" }, [
      button(t.removeCondition, "fa-times", function () { removeCondition(groupIndex, rowIndex); }, { compact: true, className: "atrium-rule-remove" })
    ]));
    fieldSelect.addEventListener("change", function () {
      fillCondition(row, path, { field: fieldSelect.value });
    });
    fillCondition(row, path, row_data);
    return row;
  }

  function renderGroup(group, index) {
    group = isObject(group) ? group : {};
    var path = "conditions." + index;
    var fieldset = h("fieldset", { className: "atrium-rule-group", "data-role": "group", "data-path": path }, [
      h("legend", { text: fmt(t.group, index + 1) })
    ]);
    var match = makeSelect([["all", t.groupAll], ["any", t.groupAny]], group.match === "any" ? "any" : "all", { key: "match" });
    fieldset.appendChild(labelled(t.groupMatch, match, path + ".match", "atrium-rule-match"));
    var rows = h("div", { className: "atrium-rule-rows" });
    list(group.conditions).forEach(function (row, rowIndex) {
      rows.appendChild(renderCondition(row, index, rowIndex));
    });
    fieldset.appendChild(rows);
    fieldset.appendChild(h("div", { className: "atrium-rule-group-buttons" }, [
      button(t.addCondition, "fa-plus", function () { addCondition(index); }),
      button(t.removeGroup, "fa-trash", function () { removeGroup(index); }, { className: "atrium-rule-remove-group" })
    ]));
    return fieldset;
  }

  function renderConditions(conditions) {
    conditions = isObject(conditions) ? conditions : {};
    var groups = list(conditions.groups);
    empty(conditionsBox);
    var top = conditions.match === "any" ? "any" : "all";
    conditionsBox.setAttribute("data-match", top);
    if (groups.length > 1) {
      var match = makeSelect([["all", t.topAll], ["any", t.topAny]], top, { key: "match" });
      match.id = "rule-match";
      conditionsBox.appendChild(labelled(t.topMatch, match, "conditions.match", "atrium-rule-match atrium-rule-top-match"));
    }
    if (!groups.length) {
      conditionsBox.appendChild(h("p", { className: "text-muted", text: t.noConditions }));
    }
    groups.forEach(function (group, index) { conditionsBox.appendChild(renderGroup(group, index)); });
    conditionsBox.appendChild(h("div", { className: "atrium-rule-add" }, [
      button(t.addGroup, "fa-plus", addGroup, { className: "atrium-rule-add-group" })
    ]));
    enhance(conditionsBox);
  }

  function readCondition(row) {
    var entry = { field: "", op: "", value: null };
    ownControls(row).forEach(function (control) {
      entry[control.getAttribute("data-key")] = readControl(control);
    });
    return entry;
  }

  function readConditions() {
    var top = byId("rule-match");
    var groups = Array.prototype.map.call(conditionsBox.querySelectorAll("[data-role=group]"), function (group) {
      var match = ownControls(group).filter(function (c) { return c.getAttribute("data-key") === "match"; })[0];
      return {
        match: match ? match.value : "all",
        conditions: Array.prototype.map.call(group.querySelectorAll("[data-role=condition]"), readCondition)
      };
    });
    return { match: top ? top.value : (conditionsBox.getAttribute("data-match") || "all"), groups: groups };
  }

  function addGroup() {
    var conditions = readConditions();
    conditions.groups.push({ match: "all", conditions: [{ field: "", op: "", value: null }] });
    renderConditions(conditions);
    focusPath("conditions." + (conditions.groups.length - 1) + ".0.field");
  }

  function removeGroup(index) {
    var conditions = readConditions();
    conditions.groups.splice(index, 1);
    renderConditions(conditions);
    focusNode(conditionsBox.querySelector(".atrium-rule-add-group"));
  }

  function addCondition(groupIndex) {
    var conditions = readConditions();
    var rows = conditions.groups[groupIndex].conditions;
    rows.push({ field: "", op: "", value: null });
    renderConditions(conditions);
    focusPath("conditions." + groupIndex + "." + (rows.length - 1) + ".field");
  }

  function removeCondition(groupIndex, rowIndex) {
    var conditions = readConditions();
    conditions.groups[groupIndex].conditions.splice(rowIndex, 1);
    renderConditions(conditions);
    var group = findPath("conditions." + groupIndex);
    focusNode(group && group.querySelector(".atrium-rule-group-buttons button"));
  }

  /* ---- actions ---- */

  function paramControl(param, value) {
    var key = param.name;
    var options = param.options || [];
    switch (param.kind) {
      case "ref":
        return param.lookup ? lookupSelect(param.lookup, value, { key: key })
          : makeSelect(options, value, { key: key, placeholder: param.required ? t.choose : t.none });
      case "refs":
        return param.lookup ? lookupSelect(param.lookup, value, { key: key, multiple: true })
          : makeSelect(options, value, { key: key, multiple: true });
      case "status":
      case "choice":
        return makeSelect(options, value, { key: key, placeholder: t.choose });
      case "priority":
        return makeSelect([["1", t.priorityLowest], ["2", "2"], ["3", "3"], ["4", "4"], ["5", t.priorityHighest]],
          value, { key: key, placeholder: t.choose });
      case "longtext":
        return h("textarea", { className: "form-control", id: nextId(), rows: "4", maxlength: "10000", "data-key": key, value: scalar(value) });
      case "email":
        return h("input", { className: "form-control", id: nextId(), type: "email", maxlength: "320", "data-key": key, value: scalar(value) });
      default:
        return h("input", { className: "form-control", id: nextId(), type: "text", maxlength: "200", "data-key": key, value: scalar(value) });
    }
  }

  function fillParams(box, path, spec, action) {
    empty(box);
    if (!spec) { return; }
    spec.params.forEach(function (param) {
      var control = paramControl(param, action[param.name]);
      box.appendChild(labelled(param.label, control, path + "." + param.name, "atrium-rule-param atrium-rule-param-" + param.kind));
    });
    var to = box.querySelector("[data-key=to]");
    var address = box.querySelector("[data-key=address]");
    if (to && address) {
      var toggle = function () {
        address.closest(".form-group").hidden = to.value !== "address";
      };
      to.addEventListener("change", toggle);
      toggle();
    }
    enhance(box);
  }

  function renderAction(action, index, total) {
    action = isObject(action) ? action : {};
    var path = "actions." + index;
    var fieldset = h("fieldset", { className: "atrium-rule-action", "data-role": "action", "data-path": path }, [
      h("legend", { text: fmt(t.actionNumber, index + 1) })
    ]);
    var actions = objectSchema().actions;
    var spec = findBy(actions, "key", scalar(action.type));
    var typeSelect = makeSelect(actions.map(function (a) { return [a.key, a.label]; }), spec ? spec.key : "",
      { key: "type", placeholder: t.chooseAction });
    fieldset.appendChild(labelled(t.action, typeSelect, path + ".type", "atrium-rule-action-type"));
    var params = h("div", { className: "atrium-rule-params" });
    fieldset.appendChild(params);
    fillParams(params, path, spec, action);
    typeSelect.addEventListener("change", function () {
      fillParams(params, path, findBy(objectSchema().actions, "key", typeSelect.value), {});
    });
    fieldset.appendChild(h("div", { className: "atrium-rule-action-buttons" }, [
      button("", "fa-arrow-up", function () { moveAction(index, -1); }, { label: t.moveUp, disabled: index === 0 }),
      button("", "fa-arrow-down", function () { moveAction(index, 1); }, { label: t.moveDown, disabled: index === total - 1 }),
      button(t.removeAction, "fa-trash", function () { removeAction(index); }, { className: "atrium-rule-remove-action" })
    ]));
    return fieldset;
  }

  function renderActions(actions) {
    actions = list(actions);
    empty(actionsBox);
    if (!actions.length) {
      actionsBox.appendChild(h("p", { className: "text-muted", text: t.noActions }));
    }
    actions.forEach(function (action, index) {
      actionsBox.appendChild(renderAction(action, index, actions.length));
    });
    actionsBox.appendChild(h("div", { className: "atrium-rule-add" }, [
      button(t.addAction, "fa-plus", addAction, { className: "atrium-rule-add-action" })
    ]));
    enhance(actionsBox);
  }

  function readActions() {
    return Array.prototype.map.call(actionsBox.querySelectorAll("[data-role=action]"), function (box) {
      var entry = {};
      Array.prototype.forEach.call(box.querySelectorAll("[data-key]"), function (control) {
        var hidden = control.closest(".form-group");
        entry[control.getAttribute("data-key")] = hidden && hidden.hidden ? "" : readControl(control);
      });
      return entry;
    });
  }

  function addAction() {
    var actions = readActions();
    actions.push({ type: "" });
    renderActions(actions);
    focusPath("actions." + (actions.length - 1) + ".type");
  }

  function removeAction(index) {
    var actions = readActions();
    actions.splice(index, 1);
    renderActions(actions);
    focusNode(actionsBox.querySelector(".atrium-rule-add-action"));
  }

  function moveAction(index, step) {
    var actions = readActions();
    var moved = actions.splice(index, 1)[0];
    actions.splice(index + step, 0, moved);
    renderActions(actions);
    var box = findPath("actions." + (index + step));
    focusNode(box && box.querySelector(step < 0 ? ".fa-arrow-up" : ".fa-arrow-down").parentNode);
  }

  /* ---- the whole rule ---- */

  function readRule() {
    return {
      name: byId("rule-name").value,
      description: byId("rule-description").value,
      object: objectSelect.value,
      trigger: triggerSelect.value,
      trigger_options: readTriggerOptions(),
      conditions: readConditions(),
      actions: readActions(),
      position: byId("rule-position").value,
      enabled: byId("rule-enabled").checked,
      stop_processing: byId("rule-stop").checked
    };
  }

  function renderAll(rule) {
    renderTriggerOptions(rule.trigger_options);
    renderConditions(rule.conditions);
    renderActions(rule.actions);
  }

  /* ---- errors and focus ---- */

  function findPath(path) {
    var parts = String(path || "").split(".");
    var nodes = document.querySelectorAll("[data-path]");
    while (parts.length) {
      var wanted = parts.join(".");
      for (var i = 0; i < nodes.length; i += 1) {
        if (nodes[i].getAttribute("data-path") === wanted) { return nodes[i]; }
      }
      parts.pop();
    }
    return null;
  }

  function controlIn(node) {
    if (!node) { return null; }
    if (node.matches("select, input, textarea, button")) { return node; }
    return node.querySelector("select, input, textarea");
  }

  function focusNode(node) {
    if (!node) { return; }
    if ($ && $(node).data("select2")) {
      var shown = $(node).next(".select2").find(".select2-search__field, .select2-selection").first();
      if (shown.length) { shown.trigger("focus"); return; }
    }
    node.focus();
  }

  function focusPath(path) {
    var node = findPath(path);
    focusNode(controlIn(node));
  }

  function clearErrors() {
    Array.prototype.forEach.call(document.querySelectorAll(".atrium-rule-error"), function (node) {
      node.parentNode.removeChild(node);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".has-error"), function (node) {
      node.classList.remove("has-error");
    });
    Array.prototype.forEach.call(document.querySelectorAll("[aria-invalid]"), function (node) {
      node.removeAttribute("aria-invalid");
    });
  }

  /* Show ``message`` next to the widget named by ``path``; returns that widget. */
  function showError(path, message) {
    var target = findPath(path);
    if (!target) { return null; }
    var control = target.classList.contains("form-group") ? controlIn(target) : null;
    var note = target.querySelector(".atrium-rule-error");
    if (!note) {
      note = h("span", { className: "help-block atrium-rule-error", id: nextId("error"), text: message });
      if (target.classList.contains("form-group")) { target.appendChild(note); }
      else if (target.tagName === "FIELDSET") { target.insertBefore(note, target.firstChild.nextSibling); }
      else { target.insertBefore(note, target.firstChild); }
    }
    target.classList.add("has-error");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      var described = (control.getAttribute("aria-describedby") || "").split(" ");
      if (described.indexOf(note.id) < 0) { described.push(note.id); }
      control.setAttribute("aria-describedby", described.join(" ").trim());
    }
    return control || target;
  }

  function revealError(error) {
    var widget = showError(error.field, error.message);
    if (!widget) { return; }
    var box = widget.closest(".form-group") || widget;
    if (box.scrollIntoView) { box.scrollIntoView({ block: "center" }); }
    if (widget.matches("select, input, textarea")) { focusNode(widget); }
  }

  /* ---- "Test against item…" ---- */

  function cell(label, content, className) {
    var node = h("td", { "data-label": label, className: className });
    if (typeof content === "string") { node.textContent = content; } else { node.appendChild(content); }
    return node;
  }

  function previewTable(lines, index) {
    var head = [t.colField, t.colOperator, t.colExpected, t.colActual, t.colResult];
    var table = h("table", { className: "table table-condensed atrium-preview-table" }, [
      h("caption", { text: fmt(t.group, index + 1) }),
      h("thead", {}, [h("tr", {}, head.map(function (text) { return h("th", { scope: "col", text: text }); }))])
    ]);
    var body = h("tbody");
    lines.forEach(function (line) {
      var mark = h("span", {}, [
        h("span", { "aria-hidden": "true", text: line.matched ? "✓" : "✗" }),
        h("span", { className: "sr-only", text: line.matched ? t.yes : t.no })
      ]);
      body.appendChild(h("tr", { className: line.matched ? "atrium-preview-hit" : "atrium-preview-miss" }, [
        cell(head[0], line.field),
        cell(head[1], line.operator),
        cell(head[2], line.expected || "—"),
        cell(head[3], line.actual),
        cell(head[4], mark, line.matched ? "text-success" : "text-danger")
      ]));
    });
    table.appendChild(body);
    return table;
  }

  function renderPreview(result) {
    empty(previewBox);
    previewBox.appendChild(h("div", { className: "alert " + (result.matched ? "alert-success" : "alert-info"), role: "status" }, [
      h("strong", { text: (result.matched ? "✓ " : "✗ ") + (result.matched ? t.matches : t.noMatch) })
    ]));
    var groups = list(result.groups);
    if (!groups.length) { previewBox.appendChild(h("p", { className: "text-muted", text: t.noConditionsPreview })); }
    groups.forEach(function (lines, index) { previewBox.appendChild(previewTable(list(lines), index)); });
    previewBox.appendChild(h("h3", { className: "atrium-preview-title", text: t.changesTitle }));
    if (result.error) {
      previewBox.appendChild(h("div", { className: "alert alert-warning" }, [t.actionsFailed + " ", h("span", { text: result.error })]));
    } else if (list(result.changes).length) {
      previewBox.appendChild(h("ul", { className: "atrium-preview-changes" }, result.changes.map(function (change) {
        return h("li", { text: change });
      })));
    } else {
      previewBox.appendChild(h("p", { className: "text-muted", text: t.noChanges }));
    }
  }

  function previewProblem(message, field) {
    empty(previewBox);
    var prefix = field && field !== "item" ? t.notValid + " " : "";
    previewBox.appendChild(h("div", { className: "alert alert-danger", role: "alert" }, [prefix + message]));
    if (field) { revealError({ field: field, message: message }); }
  }

  function runPreview() {
    clearErrors();
    var item = byId("rule-preview-item").value.trim();
    if (!item) {
      previewProblem(t.enterItem, "item");
      return;
    }
    var body = new FormData();
    body.append("csrf_token", form.elements.csrf_token.value);
    body.append("rule", JSON.stringify(readRule()));
    body.append("item", item);
    empty(previewBox);
    previewBox.appendChild(h("p", { className: "text-muted", text: t.testing }));
    fetch(data.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" }
    }).then(function (response) {
      return response.json().then(function (json) {
        return { ok: response.ok, json: json };
      }, function () { return { ok: false, json: null }; });
    }).then(function (reply) {
      if (reply.ok && isObject(reply.json)) { renderPreview(reply.json); }
      else if (reply.json && reply.json.message) { previewProblem(reply.json.message, reply.json.field); }
      else { previewProblem(t.previewFailed, ""); }
    }).catch(function () { previewProblem(t.previewFailed, ""); });
  }

  /* ---- wiring ---- */

  objectSelect.addEventListener("change", function () {
    var rule = readRule();
    refillTriggers(rule.trigger);
    renderAll(rule);
  });
  triggerSelect.addEventListener("change", function () {
    renderTriggerOptions(readTriggerOptions());
  });
  byId("rule-preview-button").addEventListener("click", runPreview);
  byId("rule-preview-item").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      runPreview();
    }
  });
  form.addEventListener("submit", function () {
    byId("rule-json").value = JSON.stringify(readRule());
  });

  var draft = isObject(data.draft) ? data.draft : {};
  renderAll(draft);
  if (data.error) { revealError(data.error); }
})();
