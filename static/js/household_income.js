// Per-capita income by year on the household page (data from json_script).
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("income-chart");
  var source = document.getElementById("income-chart-data");
  if (!holder || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["人均纯收入", "工资性", "生产经营性", "转移性"] },
    grid: { left: 50, right: 20, top: 30, bottom: 25 },
    xAxis: { type: "category", data: data.years },
    yAxis: { type: "value" },
    series: [
      { name: "人均纯收入", type: "line", data: data.per_capita, label: { show: true } },
      { name: "工资性", type: "bar", stack: "income", data: data.wage },
      { name: "生产经营性", type: "bar", stack: "income", data: data.business },
      { name: "转移性", type: "bar", stack: "income", data: data.transfer },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
