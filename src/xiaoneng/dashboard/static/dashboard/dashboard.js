/* The office dashboard's charts.
 *
 * Apache ECharts is served by the platform itself (/static/vendor/echarts/, installed from
 * package-lock.json by `make install`; no CDN). The figures come from the page
 * (json_script "dashboard-chart-data"), which also shows every one of them in tables, so the
 * page reads the same without JavaScript. Clicking a department's column in the clocks chart
 * opens its late items. The 12345 hotline section has two charts of its own (drawHotline).
 */
(function () {
  "use strict";

  // The 12345 hotline section draws its own charts first: it has figures even when no
  // department has applications or clocks to chart.
  drawHotline();

  var source = document.getElementById("dashboard-chart-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var rows = data.departments || [];
  var labels = data.labels || {};
  if (!rows.length) {
    return;
  }
  var names = rows.map(function (row) { return row.short_name; });
  var charts = {};
  var colours = { yellow: "#d69e00", red: "#c53030", blue: "#1f5fa8", grey: "#8a99a8", dark: "#52606d" };

  function categoryAxis() {
    return {
      type: "category",
      data: names,
      axisLabel: { interval: 0, rotate: names.length > 6 ? 40 : 0 },
      axisTick: { alignWithLabel: true }
    };
  }

  function grid() {
    return { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
  }

  function make(id, option) {
    var element = document.getElementById(id);
    if (!element) {
      return null;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    charts[id] = chart;
    return chart;
  }

  var clocks = make("chart-clocks", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { data: [labels.yellow, labels.red] },
    grid: grid(),
    xAxis: categoryAxis(),
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: labels.yellow, type: "bar", stack: "clocks", data: rows.map(function (r) { return r.yellow; }), itemStyle: { color: colours.yellow } },
      { name: labels.red, type: "bar", stack: "clocks", data: rows.map(function (r) { return r.red; }), itemStyle: { color: colours.red } }
    ]
  });

  if (clocks) {
    // The whole column of a department is the click target, not only its bars: a department
    // with one red item has a bar a few pixels high.
    var zr = clocks.getZr();
    var indexAt = function (event) {
      var point = [event.offsetX, event.offsetY];
      if (!clocks.containPixel("grid", point)) {
        return -1;
      }
      var index = clocks.convertFromPixel({ seriesIndex: 0 }, point)[0];
      return index >= 0 && index < rows.length ? index : -1;
    };
    zr.on("click", function (event) {
      var index = indexAt(event);
      if (index >= 0) {
        window.location.href = rows[index].late_url;
      }
    });
    zr.on("mousemove", function (event) {
      zr.setCursorStyle(indexAt(event) >= 0 ? "pointer" : "default");
    });
  }

  make("chart-on-time", {
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v.toFixed(2) + " %"; } },
    grid: grid(),
    xAxis: categoryAxis(),
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
    series: [
      { name: labels.on_time, type: "bar", data: rows.map(function (r) { return r.on_time_percent; }), itemStyle: { color: colours.blue } }
    ]
  });

  make("chart-days", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { data: [labels.used, labels.promised, labels.legal] },
    grid: grid(),
    xAxis: categoryAxis(),
    yAxis: { type: "value" },
    series: [
      { name: labels.used, type: "bar", data: rows.map(function (r) { return r.avg_days_used; }), itemStyle: { color: colours.blue } },
      { name: labels.promised, type: "bar", data: rows.map(function (r) { return r.avg_promised_days; }), itemStyle: { color: colours.grey } },
      { name: labels.legal, type: "bar", data: rows.map(function (r) { return r.avg_legal_days; }), itemStyle: { color: colours.dark } }
    ]
  });

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
  // For the browser tests and anyone scripting the page: the chart instances by element id.
  window.xiaonengCharts = Object.assign(window.xiaonengCharts || {}, charts);
  document.getElementById("charts").setAttribute("data-rendered", "true");

  /* The hotline's tickets by channel (a pie) and its hot topics (bars), from the json_script
   * "dashboard-hotline-data"; the section's tables show the same figures. */
  function drawHotline() {
    var hotlineSource = document.getElementById("dashboard-hotline-data");
    var section = document.getElementById("hotline");
    if (!hotlineSource || !section || typeof window.echarts === "undefined") {
      return;
    }
    var hotline = JSON.parse(hotlineSource.textContent);
    var hotlineLabels = hotline.labels || {};
    var drawn = {};
    var pieElement = document.getElementById("chart-hotline-channels");
    if (pieElement && (hotline.channels || []).length) {
      drawn["chart-hotline-channels"] = window.echarts.init(pieElement, null, { renderer: "canvas" });
      drawn["chart-hotline-channels"].setOption({
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d} %)" },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          name: hotlineLabels.channels,
          type: "pie",
          radius: ["35%", "65%"],
          data: hotline.channels.map(function (row) { return { name: row.name, value: row.value }; })
        }]
      });
    }
    var barElement = document.getElementById("chart-hotline-topics");
    var topics = (hotline.topics || []).slice().reverse();  // largest on top
    if (barElement && topics.length) {
      drawn["chart-hotline-topics"] = window.echarts.init(barElement, null, { renderer: "canvas" });
      drawn["chart-hotline-topics"].setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: topics.map(function (row) { return row.name; }) },
        series: [{
          name: hotlineLabels.topics,
          type: "bar",
          data: topics.map(function (row) { return row.value; }),
          itemStyle: { color: "#1f5fa8" }
        }]
      });
    }
    window.addEventListener("resize", function () {
      Object.keys(drawn).forEach(function (id) { drawn[id].resize(); });
    });
    window.xiaonengCharts = Object.assign(window.xiaonengCharts || {}, drawn);
    section.setAttribute("data-rendered", "true");
  }
})();
