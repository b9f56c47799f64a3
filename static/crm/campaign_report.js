// Draws the cross-campaign report's chart from the JSON the server embedded in #campaign-report-data:
// revenue by month as bars (left axis), revenue per message as a line (right axis). No data in this file.
(function () {
  "use strict";
  var source = document.getElementById("campaign-report-data");
  var canvas = document.getElementById("chart-campaign-months");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var locale = document.documentElement.lang || "ru";
  var roubles = new Intl.NumberFormat(locale, { style: "currency", currency: "RUB", maximumFractionDigits: 0 });
  var kopecks = new Intl.NumberFormat(locale, { style: "currency", currency: "RUB", minimumFractionDigits: 2 });

  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: data.revenue.label, data: data.revenue.data, backgroundColor: "#7f93a8", yAxisID: "y", order: 2 },
        {
          type: "line", label: data.per_message.label, data: data.per_message.data, borderColor: "#e76f51",
          backgroundColor: "#e76f51", spanGaps: false, yAxisID: "perMessage", order: 1
        }
      ]
    },
    options: {
      maintainAspectRatio: false,
      scales: {
        y: { beginAtZero: true, position: "left", ticks: { callback: function (value) { return roubles.format(value); } } },
        perMessage: {
          beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
          ticks: { callback: function (value) { return kopecks.format(value); } }
        }
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (item) {
              var format = item.dataset.yAxisID === "y" ? roubles : kopecks;
              return item.dataset.label + ": " + format.format(item.raw);
            }
          }
        }
      }
    }
  });
})();
