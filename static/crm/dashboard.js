// Draws the CRM dashboard's charts from the JSON the server embedded in #dashboard-data (no data in this file).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var locale = document.documentElement.lang || "ru";
  var roubles = new Intl.NumberFormat(locale, { style: "currency", currency: "RUB", maximumFractionDigits: 0 });
  var palette = ["#9aa5b1", "#a7b8c8", "#e0b040", "#5b6fd6", "#2a9d8f", "#e76f51", "#8d6cab", "#6c757d"];

  new Chart(document.getElementById("chart-revenue"), {
    type: "bar",
    data: {
      labels: data.revenue.labels,
      datasets: data.revenue.series.map(function (series, index) {
        return { label: series.label, data: series.data, backgroundColor: palette[index % palette.length] };
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
        backgroundColor: data.tiers.labels.map(function (_label, index) { return palette[index % palette.length]; })
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
