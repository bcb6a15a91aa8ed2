// Readiness heatmaps (units × items, accepted share in %) from json_script data.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) return;
  [["heatmap-villages", "heatmap-villages-data"], ["heatmap-departments", "heatmap-departments-data"]].forEach(function (ids) {
    var holder = document.getElementById(ids[0]);
    var source = document.getElementById(ids[1]);
    if (!holder || !source) return;
    var data = JSON.parse(source.textContent);
    if (!data.units.length || !data.items.length) {
      holder.textContent = "暂无数据。";
      holder.style.minHeight = "0";
      holder.style.height = "auto";
      return;
    }
    var chart = echarts.init(holder);
    var cells = data.cells.map(function (c) { return [c[0], c[1], c[2] === null ? "-" : c[2]]; });
    chart.setOption({
      tooltip: {
        position: "top",
        formatter: function (p) {
          var value = p.value[2] === "-" ? "无此项要求" : p.value[2] + "%";
          return data.units[p.value[1]] + "<br>" + data.items[p.value[0]] + "：" + value;
        },
      },
      grid: { left: 140, right: 20, top: 10, bottom: 70 },
      xAxis: { type: "category", data: data.items.map(function (s) { return s.split(" ")[0]; }), splitArea: { show: true } },
      yAxis: { type: "category", data: data.units, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                   inRange: { color: ["#f8d7da", "#fff3cd", "#d1e7dd", "#198754"] } },
      series: [{ type: "heatmap", data: cells, label: { show: data.units.length <= 40 }, emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } } }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
