/* autodiff's graph page: step through a derivative on its computation graph.
 * Plain JavaScript (no library, nothing fetched). The page's data (a JSON script element) holds the rows
 * of ad.explain's tables; each names the SVG ids of its node, the nodes it reads or feeds, and its edges.
 * AutodiffPage.mount(root, data) also serves `autodiff serve`, which loads new data after each change. */
(function () {
  "use strict";

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function Controller(root) {
    var self = this;
    this.root = root;
    this.index = -1;
    this.timer = null;
    this.data = { steps: [], nodes: {}, notes: [] };
    this.find = function (id) { return root.querySelector("#" + id); };
    root.querySelectorAll("[data-action]").forEach(function (button) {
      button.addEventListener("click", function () { self.act(button.getAttribute("data-action")); });
    });
    document.addEventListener("keydown", function (event) {
      var tag = (event.target && event.target.tagName) || "";
      if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (tag === "BUTTON" && (event.key === " " || event.key === "Enter")) { return; }  // the button's own click
      var action = { ArrowRight: "forward", ArrowLeft: "back", Home: "reset", " ": "play" }[event.key];
      if (action) { event.preventDefault(); self.act(action); }
    });
  }

  Controller.prototype.load = function (data) {
    var self = this;
    this.stop();
    this.data = data;
    this.index = -1;
    this.svg = this.root.querySelector(".ad-graph svg");
    if (this.svg) {
      this.fit();
      this.svg.querySelectorAll("title").forEach(function (title) { title.parentNode.removeChild(title); });
      this.svg.querySelectorAll("g.node").forEach(function (group) {
        group.addEventListener("mouseenter", function (event) { self.tooltip(group.id, event); });
        group.addEventListener("mousemove", function (event) { self.tooltip(group.id, event); });
        group.addEventListener("mouseleave", function () { self.find("ad-tooltip").hidden = true; });
      });
    }
    this.buildTrace();
    var notes = this.find("ad-notes");
    notes.textContent = "";
    (data.notes || []).forEach(function (note) { notes.appendChild(make("p", "", note)); });
    this.show(-1);
  };

  Controller.prototype.fit = function () {
    // as wide as the frame allows, but not blown up past 1.6 times the picture's own size (tall graphs scroll)
    var host = this.svg.parentNode;
    var natural = this.svg.width && this.svg.width.baseVal ? this.svg.width.baseVal.value : 0;
    var room = Math.max(200, host.clientWidth - 4);
    this.svg.style.width = (natural ? Math.min(room, natural * 1.6) : room) + "px";
  };

  Controller.prototype.buildTrace = function () {
    var self = this;
    var table = this.find("ad-trace");
    table.textContent = "";
    var section = null;
    this.rows = [];
    this.data.steps.forEach(function (step, i) {
      if (step.section !== section) {
        section = step.section;
        var head = make("tr");
        var cell = make("th", "", section);
        cell.colSpan = 2;
        head.appendChild(cell);
        table.appendChild(head);
      }
      var row = make("tr", "ad-row");
      row.appendChild(make("td", "", step.formula));
      row.appendChild(make("td", "ad-row-value", step.value));
      row.addEventListener("click", function () { self.stop(); self.show(i); });
      table.appendChild(row);
      self.rows.push(row);
    });
  };

  Controller.prototype.tooltip = function (id, event) {
    var info = this.data.nodes[id];
    var box = this.find("ad-tooltip");
    if (!info) { box.hidden = true; return; }
    box.textContent = "";
    box.appendChild(make("b", "", info.title));
    info.lines.forEach(function (line) { box.appendChild(make("div", "", line)); });
    box.hidden = false;
    var x = event.clientX + 14, y = event.clientY + 14;
    var width = box.offsetWidth, height = box.offsetHeight;
    box.style.left = Math.max(4, Math.min(x, window.innerWidth - width - 8)) + "px";
    box.style.top = Math.max(4, Math.min(y, window.innerHeight - height - 8)) + "px";
  };

  Controller.prototype.mark = function (step) {
    if (!this.svg) { return; }
    this.svg.querySelectorAll(".ad-active, .ad-near, .ad-edge").forEach(function (node) {
      node.classList.remove("ad-active", "ad-near", "ad-edge");
    });
    this.svg.classList.toggle("ad-stepping", !!step);
    if (!step) { return; }
    var svg = this.svg;
    function tag(id, name) {
      var node = id ? svg.querySelector('[id="' + id.replace(/"/g, "") + '"]') : null;
      if (node) { node.classList.add(name); }
      return node;
    }
    (step.near || []).forEach(function (id) { tag(id, "ad-near"); });
    (step.edges || []).forEach(function (id) { tag(id, "ad-edge"); });
    var active = tag(step.node, "ad-active");
    if (active && step.edges && step.edges.length && step.kind === "primal") { tag(step.node + "op", "ad-active"); }
    if (active && active.scrollIntoView) { active.scrollIntoView({ block: "nearest", inline: "nearest" }); }
  };

  Controller.prototype.show = function (i) {
    var steps = this.data.steps;
    var count = steps.length;
    i = Math.max(-1, Math.min(i, count - 1));
    this.index = i;
    var step = i >= 0 ? steps[i] : null;
    this.mark(step);
    var terms = this.find("ad-terms");
    terms.textContent = "";
    if (step) {
      var first = steps.findIndex(function (s) { return s.section === step.section; });
      var inSection = steps.filter(function (s) { return s.section === step.section; }).length;
      this.find("ad-step-title").textContent = step.section + ": row " + (i - first + 1) + " of " + inSection;
      this.find("ad-formula").textContent = step.formula;
      this.find("ad-numbers").textContent = step.numbers || "";
      this.find("ad-step-value").textContent = "= " + step.value;
      (step.terms || []).forEach(function (term) {
        terms.appendChild(make("li", "", term.partial + (term.number ? "  = " + term.number : "")));
      });
    } else {
      this.find("ad-step-title").textContent = count ? "Press Step forward (or →) to walk the primal trace, then the derivative"
        : "This graph has no steps to show";
      this.find("ad-formula").textContent = "";
      this.find("ad-numbers").textContent = "";
      this.find("ad-step-value").textContent = "";
    }
    (this.rows || []).forEach(function (row, k) {
      row.classList.toggle("ad-now", k === i);
      row.classList.toggle("ad-future", k > i);
      row.querySelector(".ad-row-value").textContent = k > i ? "…" : steps[k].value;
    });
    this.showResult(count > 0 && i === count - 1);
    this.find("ad-counter").textContent = count ? (i + 1) + " / " + count : "";
    this.find("ad-back").disabled = i < 0;
    this.find("ad-reset").disabled = i < 0;
    this.find("ad-forward").disabled = i >= count - 1;
    this.find("ad-play").disabled = count === 0;
  };

  Controller.prototype.showResult = function (done) {
    var box = this.find("ad-result");
    var result = this.data.result;
    box.hidden = !(done && result);
    box.textContent = "";
    if (!done || !result) { return; }
    box.appendChild(make("h3", "", result.title));
    result.items.forEach(function (item) {
      var line = make("p", "ad-result-item");
      line.appendChild(make("span", "ad-result-label", item.label + " = "));
      var value = make("span", "ad-result-value", item.text);
      if (item.value !== null && item.value !== undefined) { value.setAttribute("data-value", String(item.value)); }
      line.appendChild(value);
      box.appendChild(line);
    });
  };

  Controller.prototype.stop = function () {
    if (this.timer !== null) { clearInterval(this.timer); this.timer = null; }
    var button = this.find("ad-play");
    if (button) { button.setAttribute("aria-pressed", "false"); button.textContent = "\u25B6 Play"; }
  };

  Controller.prototype.act = function (action) {
    var self = this;
    var count = this.data.steps.length;
    if (action === "reset") { this.stop(); this.show(-1); }
    else if (action === "back") { this.stop(); this.show(this.index - 1); }
    else if (action === "forward") { this.show(this.index + 1); }
    else if (action === "play") {
      if (this.timer !== null) { this.stop(); return; }
      if (!count) { return; }
      if (this.index >= count - 1) { this.show(-1); }
      var button = this.find("ad-play");
      button.setAttribute("aria-pressed", "true");
      button.textContent = "Pause";
      this.timer = setInterval(function () {
        if (self.index >= count - 1) { self.stop(); } else { self.show(self.index + 1); }
      }, 900);
    }
  };

  function mount(root, data) {
    if (!root.adController) { root.adController = new Controller(root); }
    root.adController.load(data);
    return root.adController;
  }

  window.AutodiffPage = { mount: mount };
  var source = document.getElementById("ad-data");
  if (source && document.getElementById("ad-page")) {
    mount(document.getElementById("ad-page"), JSON.parse(source.textContent));
  }
})();
