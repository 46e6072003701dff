// Draw every Plotly figure embedded as JSON in a [data-fig] element; maps read their shapes locally.
document.querySelectorAll("[data-fig]").forEach(function (el) {
  var spec = JSON.parse(el.querySelector("script[type='application/json']").textContent);
  el.innerHTML = "";
  Plotly.newPlot(el, spec.data, spec.layout || {}, {responsive: true, displaylogo: false,
    topojsonURL: "/static/topojson/"});
});
