/* Arrow keys in the month calendar of templates/bookings/choose_time.html: a progressive
   enhancement. Without it, Tab goes through the days with open times (links), as it does
   with it. Left and Right go to the previous or next open day, Up and Down to the nearest
   open day in the same column in an earlier or later week, Home and End to the first or
   last open day of the month. */
(function () {
  "use strict";

  function links(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tbody a"));
  }

  function column(link) {
    var cell = link.closest("td");
    return Array.prototype.indexOf.call(cell.parentNode.children, cell);
  }

  function inColumn(table, link, step) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var col = column(link);
    var row = rows.indexOf(link.closest("tr"));
    for (var r = row + step; r >= 0 && r < rows.length; r += step) {
      var cell = rows[r].cells[col];
      var target = cell && cell.querySelector("a");
      if (target) {
        return target;
      }
    }
    return null;
  }

  function onKey(event) {
    var table = event.currentTarget;
    var link = event.target.closest("a");
    if (!link || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var all = links(table);
    var index = all.indexOf(link);
    var target = null;
    if (event.key === "ArrowLeft") {
      target = all[index - 1];
    } else if (event.key === "ArrowRight") {
      target = all[index + 1];
    } else if (event.key === "ArrowUp") {
      target = inColumn(table, link, -1);
    } else if (event.key === "ArrowDown") {
      target = inColumn(table, link, 1);
    } else if (event.key === "Home") {
      target = all[0];
    } else if (event.key === "End") {
      target = all[all.length - 1];
    } else {
      return;
    }
    event.preventDefault();
    if (target) {
      target.focus();
    }
  }

  function start() {
    var tables = document.querySelectorAll("table[data-month-calendar]");
    Array.prototype.forEach.call(tables, function (table) {
      table.addEventListener("keydown", onKey);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
