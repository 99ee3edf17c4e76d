// The web map's behaviour. Every string from the data is shown as text (textContent, or escaped for the
// few Leaflet calls that take HTML); colours are checked before they reach a style.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("scenic-data").textContent);
  var BLANK = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
  var COLOUR = /^(#[0-9a-fA-F]{6}|rgba\(\d{1,3},\d{1,3},\d{1,3},(0|1|0?\.\d+)\))$/;

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function safeColour(c, fallback) { return COLOUR.test(c || "") ? c : fallback; }
  function element(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  var map = L.map("map", {zoomSnap: 0.25});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.attributionControl.addAttribution(esc(data.attribution));
  L.control.scale({imperial: false, maxWidth: 160}).addTo(map);

  var bases = {}, overlays = {}, legends = [], bounds = L.latLngBounds([]);
  window.scenicMap = {map: map, layers: {}};  // for the curious, and for the browser tests

  if (data.basemap) {
    var b = data.basemap;
    var base = L.tileLayer(b.url, {
      maxZoom: 19, errorTileUrl: BLANK,
      attribution: '<a href="' + esc(b.link) + '">' + esc(b.attribution) + "</a>"
    });
    bases[esc(b.name)] = base;
    if (navigator.onLine !== false) { base.addTo(map); }  // offline: every layer still shows
  }

  function register(name, layer, legend, visible) {
    overlays[esc(name)] = layer;
    window.scenicMap.layers[name] = layer;
    if (legend) { legends.push({layer: layer, legend: legend}); }
    if (visible) { layer.addTo(map); }
  }

  function popupFor(properties) {
    var box = element("div", "scenic-popup");
    if (properties.thumbnail && properties.thumbnail.indexOf("data:image/jpeg;base64,") === 0) {
      var img = element("img");
      img.src = properties.thumbnail;
      img.alt = "photo";
      box.appendChild(img);
    }
    var table = element("table");
    (properties.rows || []).forEach(function (row) {
      var tr = element("tr");
      tr.appendChild(element("td", "", row[0]));
      tr.appendChild(element("td", "", row[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  data.overlays.forEach(function (o, i) {
    var layer = L.imageOverlay(o.png, o.bounds, {interactive: false});
    bounds.extend(o.bounds);
    register(o.name, layer, o.legend, i === 0);  // one heat map at a time at first: they cover each other
  });

  if (data.series && data.series.periods.length) {
    var s = data.series, group = L.layerGroup(), images = s.periods.map(function (p) {
      bounds.extend(p.bounds);
      return L.imageOverlay(p.png, p.bounds, {interactive: false});
    });
    var slider = L.control({position: "bottomleft"}), current = 0, timer = null;
    slider.onAdd = function () {
      var box = element("div", "scenic-slider leaflet-bar");
      var play = element("button", "", "Play"), range = element("input"), label = element("span", "scenic-period");
      play.type = "button";
      range.type = "range"; range.min = 0; range.max = images.length - 1; range.value = 0;
      range.setAttribute("aria-label", "Period");
      function show(k) {
        current = k; range.value = k;
        group.clearLayers(); group.addLayer(images[k]);
        label.textContent = s.periods[k].period;
      }
      range.addEventListener("input", function () { show(Number(range.value)); });
      play.addEventListener("click", function () {
        if (timer) { clearInterval(timer); timer = null; play.textContent = "Play"; return; }
        play.textContent = "Pause";
        timer = setInterval(function () { show((current + 1) % images.length); }, 1200);
      });
      L.DomEvent.disableClickPropagation(box);
      box.appendChild(play); box.appendChild(range); box.appendChild(label);
      show(0);
      return box;
    };
    group.on("add", function () { slider.addTo(map); });
    group.on("remove", function () {
      if (timer) { clearInterval(timer); timer = null; }
      slider.remove();
    });
    register(s.name, group, s.legend, data.overlays.length === 0);
  }

  data.vectors.forEach(function (v) {
    var layer;
    if (v.kind === "photos") {
      var pins = v.features.map(function (f) {
        var c = f.geometry.coordinates;
        var pin = L.marker([c[1], c[0]], {
          icon: L.divIcon({className: "scenic-photo", iconSize: [12, 12]}), keyboard: true, title: "photo"
        });
        return pin.bindPopup(function () { return popupFor(f.properties); }, {maxWidth: 340});
      });
      layer = L.markerClusterGroup({disableClusteringAtZoom: 17, maxClusterRadius: 45});
      layer.addLayers(pins);
    } else {
      layer = L.geoJSON({type: "FeatureCollection", features: v.features}, {
        style: function (f) {
          var fill = safeColour(f.properties.fill, "#ffffff");
          return {color: "#555555", weight: 1, fillColor: fill, fillOpacity: f.properties.fill ? 0.7 : 0.1};
        },
        onEachFeature: function (f, l) { l.bindPopup(function () { return popupFor(f.properties); }); }
      });
    }
    if (v.features.length) {
      bounds.extend(layer.getBounds());
    }
    register(v.name, layer, v.legend, v.visible);
  });

  L.control.layers(bases, overlays, {collapsed: false}).addTo(map);

  var legendControl = L.control({position: "bottomright"}), legendBox = element("div", "scenic-legend");
  legendControl.onAdd = function () { L.DomEvent.disableScrollPropagation(legendBox); return legendBox; };
  legendControl.addTo(map);
  function drawLegends() {
    legendBox.textContent = "";
    legends.forEach(function (entry) {
      if (!map.hasLayer(entry.layer)) { return; }
      legendBox.appendChild(element("h4", "", entry.legend.title));
      entry.legend.items.forEach(function (item) {
        var row = element("div"), swatch = element("i");
        swatch.style.background = safeColour(item[0], "transparent");
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(item[1]));
        legendBox.appendChild(row);
      });
    });
    legendBox.style.display = legendBox.childNodes.length ? "" : "none";
  }
  map.on("overlayadd overlayremove", drawLegends);
  drawLegends();

  if (bounds.isValid()) { map.fitBounds(bounds, {padding: [10, 10]}); } else { map.setView([0, 0], 2); }
}());
