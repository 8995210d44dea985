// The appeals map (Leaflet, served from our own static files). Progressive enhancement: the page
// works without it (address and latitude/longitude boxes); when this runs, a map is shown on
// which a person places or moves the point (click, drag, or Enter on the focused map to put it
// at the centre cross), the boxes are filled from the map and the place is said in words.
// All words come from the page (data-* attributes, translated on the server); no inline script.
(function () {
  "use strict";
  if (!window.L || !window.fetch) { return; }

  function inside(ring, lon, lat) {
    var hit = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < xi + (lat - yi) * (xj - xi) / (yj - yi)) { hit = !hit; }
    }
    return hit;
  }

  function districtAt(geojson, lat, lon, lang) {
    var features = (geojson && geojson.features) || [];
    for (var f = 0; f < features.length; f++) {
      var g = features[f].geometry;
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      for (var p = 0; p < polygons.length; p++) {
        if (!inside(polygons[p][0], lon, lat)) { continue; }
        var inHole = false;
        for (var h = 1; h < polygons[p].length; h++) {
          if (inside(polygons[p][h], lon, lat)) { inHole = true; }
        }
        if (!inHole) {
          var names = features[f].properties.names || {};
          return names[lang] || names.ru || features[f].properties.district;
        }
      }
    }
    return null;
  }

  function number(value) {
    var n = parseFloat(String(value || "").replace(",", "."));
    return isFinite(n) ? n : null;
  }

  function attach(box) {
    var d = box.dataset;
    var lang = document.documentElement.lang || "kk";
    var latInput = document.getElementById(d.latInput);
    var lonInput = document.getElementById(d.lonInput);
    var words = document.getElementById(d.wordsId);
    var editable = d.mode !== "view";
    var canvas = box.querySelector(".appeal-map-canvas");
    var base = null;

    box.hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll("[data-map-only]"), function (el) {
      el.hidden = false;
    });

    var map = L.map(canvas, { keyboard: true, zoomControl: false, attributionControl: true });
    L.control.zoom({
      zoomInTitle: d.textZoomIn || "+", zoomOutTitle: d.textZoomOut || "-"
    }).addTo(map);
    map.attributionControl.setPrefix(false);
    if (d.tilesUrl) {
      L.tileLayer(d.tilesUrl, { attribution: d.tilesAttribution || "", maxZoom: 19 }).addTo(map);
    } else {
      map.attributionControl.addAttribution(d.outlinesNote || "");
    }
    canvas.setAttribute("aria-label", d.label || "");
    canvas.setAttribute("role", "application");
    canvas.setAttribute("aria-describedby", d.wordsId || "");

    var marker = null;

    function say(lat, lon) {
      if (!words) { return; }
      if (lat === null || lon === null) { words.textContent = d.textNone || ""; return; }
      var district = districtAt(base, lat, lon, lang);
      var where = lat.toFixed(5) + ", " + lon.toFixed(5);
      words.textContent = (district ? d.textChosenIn.replace("%(district)s", district)
        : d.textChosen).replace("%(point)s", where);
    }

    function place(lat, lon, moveView) {
      lat = Math.round(lat * 1e6) / 1e6;
      lon = Math.round(lon * 1e6) / 1e6;
      if (latInput) { latInput.value = String(lat); }
      if (lonInput) { lonInput.value = String(lon); }
      if (!marker) {
        marker = L.marker([lat, lon], {
          draggable: editable, keyboard: false, title: d.markerTitle || "", alt: d.markerTitle || ""
        }).addTo(map);
        marker.on("dragend", function () {
          var at = marker.getLatLng();
          place(at.lat, at.lng, false);
        });
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (moveView) { map.setView([lat, lon], Math.max(map.getZoom() || 0, 13)); }
      say(lat, lon);
      box.dispatchEvent(new CustomEvent("appeal-map:placed", { bubbles: true }));
    }

    var startLat = latInput ? number(latInput.value) : number(d.lat);
    var startLon = lonInput ? number(lonInput.value) : number(d.lon);
    if (startLat === null && d.lat) { startLat = number(d.lat); startLon = number(d.lon); }
    map.setView([number(d.centreLat) || 0, number(d.centreLon) || 0], 10);

    fetch(d.outlinesUrl, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (geojson) {
      base = geojson;
      if (!geojson || !geojson.features || !geojson.features.length) { return; }
      var layer = L.geoJSON(geojson, {
        interactive: false,
        style: function () {
          return { color: "#505a5f", weight: 1, fillColor: "#1d70b8", fillOpacity: 0.05 };
        }
      }).addTo(map);
      if (startLat === null) { map.fitBounds(layer.getBounds()); }
      if (marker) { var at = marker.getLatLng(); say(at.lat, at.lng); }
    }).catch(function () { /* the map still works without its base */ });

    if (startLat !== null && startLon !== null) {
      place(startLat, startLon, true);
    } else {
      say(null, null);
    }

    if (editable) {
      map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, false); });
      canvas.addEventListener("keydown", function (e) {
        if (e.target !== canvas || (e.key !== "Enter" && e.key !== " ")) { return; }
        e.preventDefault();
        var c = map.getCenter();
        place(c.lat, c.lng, false);
      });
      [latInput, lonInput].forEach(function (input) {
        if (!input) { return; }
        input.addEventListener("change", function () {
          var lat = number(latInput.value), lon = number(lonInput.value);
          if (lat !== null && lon !== null) { place(lat, lon, true); }
        });
      });
    }

    // Coordinates by hand: the boxes are hidden behind a button while the map works.
    var fallback = d.fallbackId && document.getElementById(d.fallbackId);
    var toggle = d.toggleId && document.getElementById(d.toggleId);
    if (fallback && toggle) {
      fallback.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.addEventListener("click", function () {
        var open = fallback.hidden;
        fallback.hidden = !open;
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }

    // Address search through the gazetteer.
    var form = d.searchInput && document.getElementById(d.searchInput);
    var button = d.searchButton && document.getElementById(d.searchButton);
    var list = d.searchResults && document.getElementById(d.searchResults);
    var status = d.searchStatus && document.getElementById(d.searchStatus);
    var address = d.addressInput && document.getElementById(d.addressInput);
    function search() {
      var q = form.value.trim();
      if (q.length < 2) { return; }
      list.textContent = "";
      status.textContent = d.textSearching || "";
      fetch(d.searchUrl + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { return r.json(); }).then(function (data) {
        var results = (data && data.results) || [];
        status.textContent = data.detail || (results.length ? d.textFound.replace("%(number)s", results.length)
          : d.textNotFound);
        results.forEach(function (item) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button";
          b.className = "link";
          b.textContent = item.label + (item.district && item.kind !== "district" ? " — " + item.district : "");
          b.addEventListener("click", function () {
            if (item.lat !== null && item.lon !== null) { place(item.lat, item.lon, true); }
            if (address && item.kind !== "district") { address.value = item.label; }
            status.textContent = "";
            list.textContent = "";
            canvas.focus();
          });
          li.appendChild(b);
          list.appendChild(li);
        });
      }).catch(function () { status.textContent = d.textNotFound || ""; });
    }
    if (form && button && list && status) {
      button.addEventListener("click", search);
      form.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); search(); }
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-appeal-map]"), attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
