/* autodiff serve: a formula box, one slider and number box per variable; every change asks the server
 * (POST /api/evaluate) for the value, gradient, Hessian, Taylor numbers and the graph, and redraws them.
 * Plain JavaScript; the graph and its stepping come from page.js (AutodiffPage.mount). */
(function () {
  "use strict";
  var page = document.getElementById("ad-page");
  var input = document.getElementById("ad-formula-input");
  var box = document.getElementById("ad-variables");
  var error = document.getElementById("ad-error");
  var values = {};  // variable -> value, kept while the formula changes
  var latest = 0;  // the newest request; older answers are dropped
  var shown = 0;
  var timer = null;

  function format(x) {
    if (x === null || x === undefined) { return "nan"; }
    return Number(x).toPrecision(10).replace(/\.?0+(e|$)/, "$1");
  }

  function cell(tag, text) { var c = document.createElement(tag); c.textContent = text; return c; }

  function table(element, header, rows) {
    element.textContent = "";
    if (header) {
      var head = document.createElement("tr");
      header.forEach(function (h) { head.appendChild(cell("th", h)); });
      element.appendChild(head);
    }
    rows.forEach(function (row) {
      var line = document.createElement("tr");
      row.forEach(function (value, i) { line.appendChild(cell(i ? "td" : "th", value)); });
      element.appendChild(line);
    });
  }

  function variable(name) {
    var row = document.createElement("div");
    row.className = "ad-variable";
    row.setAttribute("data-name", name);
    var label = cell("label", name);
    var slider = document.createElement("input");
    slider.type = "range";
    slider.id = "ad-slider-" + name;
    slider.setAttribute("aria-label", name);
    var number = document.createElement("input");
    number.type = "number";
    number.id = "ad-number-" + name;
    number.step = "any";
    number.setAttribute("aria-label", name + " value");
    var value = name in values ? values[name] : 1;
    values[name] = value;
    function range(v) {  // a window of ±5 around the value, in steps of 0.01
      slider.min = String(Math.floor(v) - 5);
      slider.max = String(Math.floor(v) + 5);
      slider.step = "0.01";
    }
    range(value);
    slider.value = String(value);
    number.value = String(value);
    slider.addEventListener("input", function () {
      values[name] = Number(slider.value);
      number.value = slider.value;
      schedule(60);
    });
    number.addEventListener("input", function () {
      if (number.value === "" || !isFinite(Number(number.value))) { return; }
      values[name] = Number(number.value);
      if (values[name] < Number(slider.min) || values[name] > Number(slider.max)) { range(values[name]); }
      slider.value = number.value;
      schedule(250);
    });
    row.appendChild(label);
    row.appendChild(slider);
    row.appendChild(number);
    return row;
  }

  function showVariables(names) {
    var current = Array.prototype.map.call(box.children, function (row) { return row.getAttribute("data-name"); });
    if (current.join(",") === names.join(",")) { return; }
    box.textContent = "";
    names.forEach(function (name) { box.appendChild(variable(name)); });
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  function show(data) {
    error.hidden = true;
    showVariables(data.variables);
    document.getElementById("ad-f-value").textContent = format(data.value);
    table(document.getElementById("ad-gradient"), ["", "gradient"],
          data.variables.map(function (name, i) { return ["∂f/∂" + name, format(data.gradient[i])]; }));
    table(document.getElementById("ad-hessian"), [""].concat(data.variables),
          data.hessian.map(function (row, i) { return [data.variables[i]].concat(row.map(format)); }));
    document.getElementById("ad-linear").textContent = data.linear;
    document.getElementById("ad-taylor-line").hidden = !data.taylor_text;
    document.getElementById("ad-taylor").textContent = data.taylor_text || "";
    var parsed = new DOMParser().parseFromString(data.svg, "image/svg+xml").documentElement;
    var host = document.getElementById("ad-graph");
    host.textContent = "";
    if (parsed && parsed.nodeName === "svg") { host.appendChild(document.importNode(parsed, true)); }
    window.AutodiffPage.mount(page, data.page);
  }

  function evaluate() {
    var request = ++latest;
    var point = {};
    Object.keys(values).forEach(function (name) { point[name] = values[name]; });
    fetch("/api/evaluate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ formula: input.value, point: point })
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, error: "the server answered " + response.status }; });
    }).then(function (data) {
      if (request < shown) { return; }
      shown = request;
      if (data.ok) { show(data); } else { showError(data.error || "the formula was refused"); }
    }).catch(function (failure) {
      showError("cannot reach the server: " + failure);
    });
  }

  function schedule(wait) {
    if (timer !== null) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; evaluate(); }, wait);
  }

  document.getElementById("ad-form").addEventListener("submit", function (event) {
    event.preventDefault();
    schedule(0);
  });
  input.addEventListener("input", function () { schedule(300); });
  evaluate();
})();
