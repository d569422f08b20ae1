// Sorting and filtering for the report's tables; no network, no libraries.
// table.sortable: click a heading (or press Enter on it) to sort by that column.
// table.filterable: a search box keeps rows that contain every typed word, and each
// heading marked data-facet gets a list of the values in its column.
(function () {
  "use strict";
  var NUMBER = /^-?\d[\d,]*(\.\d+)?%?$/;

  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim();
  }

  function compareKeys(a, b) {
    if (NUMBER.test(a) && NUMBER.test(b)) {
      return parseFloat(a.replace(/,/g, "")) - parseFloat(b.replace(/,/g, ""));
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function makeSortable(table) {
    var head = table.tHead;
    var body = table.tBodies[0];
    if (!head || !body) { return; }
    Array.prototype.forEach.call(head.rows[0].cells, function (th, index) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.map.call(body.rows, function (row) { return [cellKey(row, index), row]; });
        rows.sort(function (x, y) { var c = compareKeys(x[0], y[0]); return ascending ? c : -c; });
        var fragment = document.createDocumentFragment();
        rows.forEach(function (pair) { fragment.appendChild(pair[1]); });
        body.appendChild(fragment);
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) { if (event.key === "Enter") { sort(); } });
    });
  }

  function makeFilterable(table) {
    var head = table.tHead;
    var body = table.tBodies[0];
    if (!head || !body) { return; }
    var tools = document.createElement("div");
    tools.className = "table-tools";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Filter rows";
    search.setAttribute("aria-label", "Filter rows");
    tools.appendChild(search);
    var facets = [];
    Array.prototype.forEach.call(head.rows[0].cells, function (th, index) {
      if (!th.hasAttribute("data-facet")) { return; }
      var values = {};
      Array.prototype.forEach.call(body.rows, function (row) {
        var cell = row.cells[index];
        if (cell) { values[cell.textContent.trim()] = true; }
      });
      var names = Object.keys(values).sort(compareKeys);
      if (names.length < 2) { return; }
      var select = document.createElement("select");
      select.setAttribute("aria-label", th.textContent.trim());
      var all = document.createElement("option");
      all.value = "";
      all.textContent = th.textContent.trim() + ": all";
      select.appendChild(all);
      names.forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        select.appendChild(option);
      });
      tools.appendChild(select);
      facets.push([index, select]);
    });
    var counter = document.createElement("span");
    counter.className = "shown";
    tools.appendChild(counter);
    table.parentNode.insertBefore(tools, table);

    var texts = null;
    function apply() {
      if (texts === null) {
        texts = new Map();
        Array.prototype.forEach.call(body.rows, function (row) { texts.set(row, row.textContent.toLowerCase()); });
      }
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var visible = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var text = texts.get(row);
        var keep = words.every(function (word) { return text.indexOf(word) !== -1; });
        keep = keep && facets.every(function (facet) {
          var cell = row.cells[facet[0]];
          return !facet[1].value || (cell && cell.textContent.trim() === facet[1].value);
        });
        row.style.display = keep ? "" : "none";
        if (keep) { visible += 1; }
      });
      counter.textContent = "showing " + visible.toLocaleString() + " of " + body.rows.length.toLocaleString() + " rows";
    }
    var timer = null;
    search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
    facets.forEach(function (facet) { facet[1].addEventListener("change", apply); });
    counter.textContent = body.rows.length.toLocaleString() + " rows";
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("table.filterable").forEach(makeFilterable);
}());
