// Places a venue on a small map to fill its latitude and longitude fields (Leaflet,
// static/vendor/leaflet/). The fields stay the way to type a position; the map is an
// enhancement: a click (or moving the marker) writes both fields, typing in them moves
// the marker.
//
// Markup (templates/venues/_map.html, map_pick_block; the form works without it):
//   <input name="latitude" data-map-pick="latitude">
//   <input name="longitude" data-map-pick="longitude">
//   <div data-map-pick-map data-tile-url="…/{z}/{x}/{y}.png" data-attribution="© …"
//        data-attribution-url="https://…" data-center="48.8039,2.1191" hidden>
//     <div data-map-pick-canvas></div>
//     <p data-map-pick-status aria-live="polite"></p>
//   </div>
// in the same form. ``data-center`` (optional) centres the map when the fields are
// empty (the commune's centroid); else it shows France.
(function () {
  'use strict';
  var FRANCE = [46.6, 2.4];
  var FRANCE_ZOOM = 5;
  var PLACED_ZOOM = 16;
  var CENTER_ZOOM = 13;

  function degrees(input) {
    var text = (input.value || '').trim().replace(',', '.');
    if (!/^-?\d+(\.\d+)?$/.test(text)) return null;
    return Number(text);
  }

  function written(value) {
    return value.toFixed(5).replace('.', ',');
  }

  function attributionOf(element) {
    var text = element.getAttribute('data-attribution') || '';
    var url = element.getAttribute('data-attribution-url');
    var wrapper = document.createElement('span');
    var inner = document.createElement(url ? 'a' : 'span');
    if (url) inner.href = url;
    inner.textContent = text;
    wrapper.appendChild(inner);
    return wrapper.innerHTML;
  }

  function centerOf(block) {
    var parts = (block.getAttribute('data-center') || '').split(',').map(Number);
    return parts.length === 2 && parts.every(isFinite) && parts[0] ? parts : null;
  }

  function setUp(block) {
    var form = block.closest('form');
    var canvas = block.querySelector('[data-map-pick-canvas]');
    var status = block.querySelector('[data-map-pick-status]');
    var latitude = form && form.querySelector('[data-map-pick="latitude"]');
    var longitude = form && form.querySelector('[data-map-pick="longitude"]');
    if (!canvas || !latitude || !longitude || typeof L === 'undefined') return;
    block.hidden = false;
    var map = L.map(canvas, { zoomControl: false, scrollWheelZoom: false });
    L.control.zoom({ zoomInTitle: 'Zoomer', zoomOutTitle: 'Dézoomer' }).addTo(map);
    map.attributionControl.setPrefix('Leaflet');
    L.tileLayer(block.getAttribute('data-tile-url'), {
      attribution: attributionOf(block), maxZoom: 19
    }).addTo(map);
    var marker = null;

    function show(lat, lon) {
      if (marker) {
        marker.setLatLng([lat, lon]);
        return;
      }
      marker = L.marker([lat, lon], { draggable: true, title: 'Position du lieu',
                                      alt: 'Position du lieu' }).addTo(map);
      marker.on('dragend', function () {
        var at = marker.getLatLng();
        write(at.lat, at.lng);
      });
    }

    function write(lat, lon) {
      latitude.value = written(lat);
      longitude.value = written(lon);
      show(lat, lon);
      if (status) {
        status.textContent = 'Position placée : latitude ' + written(lat) +
          ', longitude ' + written(lon) + '.';
      }
    }

    function follow() {
      var lat = degrees(latitude);
      var lon = degrees(longitude);
      if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
      show(lat, lon);
      if (!map.getBounds().contains([lat, lon])) map.panTo([lat, lon]);
    }

    map.on('click', function (event) { write(event.latlng.lat, event.latlng.lng); });
    latitude.addEventListener('change', follow);
    longitude.addEventListener('change', follow);
    var lat = degrees(latitude);
    var lon = degrees(longitude);
    var center = centerOf(block);
    if (lat !== null && lon !== null) {
      show(lat, lon);
      map.setView([lat, lon], PLACED_ZOOM);
    } else if (center) {
      map.setView(center, CENTER_ZOOM);
    } else {
      map.setView(FRANCE, FRANCE_ZOOM);
    }
  }

  function start() {
    document.querySelectorAll('[data-map-pick-map]').forEach(setUp);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
