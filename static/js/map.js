// The station map: coloured markers from station_map_data, refreshed every 30 s; tiles only if configured.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const count = document.getElementById("map-count");
  const error = document.getElementById("map-error");
  // Canvas markers: thousands of stations stay smooth.
  const map = L.map("map", {preferCanvas: true, worldCopyJump: true}).setView([30, 0], 2);
  if (config.tile_url) {
    // A tile that cannot load leaves the plain background; the markers do not depend on tiles.
    L.tileLayer(config.tile_url, {maxZoom: 19, attribution: config.attribution}).addTo(map);
  }
  const markers = new Map();
  let fitted = false;

  function popup(p) {
    const box = document.createElement("div");
    const link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.id;
    const strong = document.createElement("strong");
    strong.append(link);
    box.append(strong);
    if (p.name) box.append(document.createElement("br"), p.name);
    const status = document.createElement("div");
    status.textContent = p.status;
    status.style.color = p.colour;
    box.append(status);
    return box;
  }

  async function load() {
    let data;
    try {
      const response = await fetch(config.data_url, {headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error("HTTP " + response.status);
      data = await response.json();
    } catch (e) {
      error.hidden = false;
      error.textContent = "Could not load the stations (" + e.message + "); retrying.";
      return;
    }
    error.hidden = true;
    const seen = new Set();
    const bounds = [];
    for (const feature of data.features) {
      const p = feature.properties;
      const [lon, lat] = feature.geometry.coordinates;
      const style = {radius: 8, color: "#fff", weight: 2, fillColor: p.colour, fillOpacity: 0.95};
      let marker = markers.get(p.id);
      if (marker) {
        marker.setLatLng([lat, lon]).setStyle(style).setPopupContent(popup(p));
      } else {
        marker = L.circleMarker([lat, lon], style).bindPopup(popup(p)).bindTooltip(p.id).addTo(map);
        markers.set(p.id, marker);
      }
      seen.add(p.id);
      bounds.push([lat, lon]);
    }
    for (const [id, marker] of markers) {
      if (!seen.has(id)) { marker.remove(); markers.delete(id); }
    }
    count.textContent = data.features.length + " station" + (data.features.length === 1 ? "" : "s") + " on the map";
    if (!fitted && bounds.length) {
      map.fitBounds(bounds, {padding: [30, 30], maxZoom: 15});
      fitted = true;
    }
  }

  load();
  setInterval(load, 30000);
})();
