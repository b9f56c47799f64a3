// Draws the CRM dashboard's charts from the JSON the server embedded in #dashboard-data (no data in this file).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var locale = document.documentElement.lang || "ru";
  var roubles = new Intl.NumberFormat(locale, { style: "currency", currency: "RUB", maximumFractionDigits: 0 });
  // One colour per tier in both charts: the default tier codes have their own, any other code takes the next spare.
  var named = { "": "#e4e7eb", standard: "#7f93a8", silver: "#b8c2cc", gold: "#e0b040", platinum: "#5b6fd6" };
  var spare = ["#2a9d8f", "#e76f51", "#8d6cab", "#6c757d", "#f4a261", "#264653"];
  var colours = {};
  function colour(key) {
    if (!(key in colours)) { colours[key] = named[key] || spare[Object.keys(colours).length % spare.length]; }
    return colours[key];
  }

  new Chart(document.getElementById("chart-revenue"), {
    type: "bar",
    data: {
      labels: data.revenue.labels,
      datasets: data.revenue.series.map(function (series) {
        return { label: series.label, data: series.data, backgroundColor: colour(series.key) };
      })
    },
    options: {
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, ticks: { callback: function (value) { return roubles.format(value); } } }
      },
      plugins: {
        tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + roubles.format(item.raw); } } }
      }
    }
  });

  new Chart(document.getElementById("chart-tiers"), {
    type: "bar",
    data: {
      labels: data.tiers.labels,
      datasets: [{
        label: data.tiers.label,
        data: data.tiers.data,
        backgroundColor: data.tiers.keys.map(colour)
      }]
    },
    options: {
      maintainAspectRatio: false,
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
