// 领导看板: bar charts from json_script data; clicking a bar opens the list behind it.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var charts = [
    ["chart-areas", data.areas, "%"], ["chart-townships", data.townships, "%"], ["chart-items", data.items, "%"],
    ["chart-villages", data.villages, "%"], ["chart-risks", data.risks, "户"], ["chart-flags", data.flags, "条"],
  ];
  charts.forEach(function (spec) {
    var holder = document.getElementById(spec[0]);
    var entries = spec[1] || [];
    if (!holder) return;
    if (!entries.length) {
      holder.textContent = "暂无数据。";
      holder.style.height = "auto";
      return;
    }
    var chart = echarts.init(holder);
    var percent = spec[2] === "%";
    chart.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        var e = entries[p.dataIndex];
        return e.label + "：" + e.value + spec[2] + (percent ? "（" + e.accepted + "/" + e.total + "）" : "") + "<br>点击查看清单";
      } },
      grid: { left: 50, right: 16, top: 16, bottom: entries.length > 8 ? 90 : 40 },
      xAxis: { type: "category", data: entries.map(function (e) { return e.label.length > 10 ? e.label.slice(0, 10) + "…" : e.label; }),
               axisLabel: { rotate: entries.length > 8 ? 45 : 0, interval: 0 } },
      yAxis: { type: "value", max: percent ? 100 : null },
      series: [{ type: "bar", data: entries.map(function (e) { return e.value; }), cursor: "pointer",
                 itemStyle: { color: percent ? "#198754" : "#0d6efd" },
                 label: { show: entries.length <= 20, position: "top", formatter: "{c}" + (percent ? "%" : "") } }],
    });
    chart.on("click", function (p) { var e = entries[p.dataIndex]; if (e && e.url) window.location.href = e.url; });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
