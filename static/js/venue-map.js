// The venues' map (Leaflet + Leaflet.markercluster, static/vendor/leaflet/): one marker
// per venue listed on the page, clustered when several are close; each popup names the
// venue and links to its page.
//
// Markup (templates/venues/_map.html; the page works without this script):
//   <div data-map-block hidden>
//     <a class="map-skip" href="#resultats">Aller à la liste</a>      (optional)
//     <div data-map data-tile-url="https://…/{z}/{x}/{y}.png"
//          data-attribution="© …" data-attribution-url="https://…"></div>
//     <script type="application/json" data-map-venues>[{"name", "commune", "url",
//       "lat", "lon"}, …]</script>
//   </div>
// The block is shown only once the map is drawn: without Leaflet or venues, nothing.
// Tiles that fail to load leave a blank map; markers and the list still work.
(function () {
  'use strict';
  var SINGLE_ZOOM = 15;

  function attributionOf(element) {
    // Leaflet takes HTML: build it from text, never from markup read in the page
    var text = element.getAttribute('data-attribution') || '';
    var url = element.getAttribute('data-attribution-url');
    var wrapper = document.createElement('span');
    if (url) {
      var link = document.createElement('a');
      link.href = url;
      link.textContent = text;
      wrapper.appendChild(link);
    } else {
      wrapper.textContent = text;
    }
    return wrapper.innerHTML;
  }

  function popupOf(venue) {
    var box = document.createElement('div');
    var name = document.createElement(venue.url ? 'a' : 'strong');
    name.textContent = venue.name;
    if (venue.url) name.href = venue.url;
    box.appendChild(name);
    if (venue.commune) {
      var where = document.createElement('div');
      where.textContent = venue.commune;
      box.appendChild(where);
    }
    return box;
  }

  function clusterIcon(cluster) {
    var count = cluster.getChildCount();
    var size = count < 10 ? 'small' : count < 100 ? 'medium' : 'large';
    return L.divIcon({
      html: '<div><span class="map-cluster-count">' + count + '</span></div>',
      className: 'marker-cluster marker-cluster-' + size,
      iconSize: L.point(40, 40)
    });
  }

  function layerOf(venues) {
    var clustered = venues.length > 1 && typeof L.markerClusterGroup === 'function';
    var layer = clustered
      ? L.markerClusterGroup({ iconCreateFunction: clusterIcon, showCoverageOnHover: false })
      : L.featureGroup();
    venues.forEach(function (venue) {
      var marker = L.marker([venue.lat, venue.lon], { title: venue.name, alt: venue.name });
      marker.bindPopup(popupOf(venue));
      marker.on('popupclose', focusBack);
      layer.addLayer(marker);
    });
    return layer;
  }

  function labelCluster(event) {
    // Leaflet gives marker icons role="button": a cluster is named by its count
    var layer = event.layer;
    if (typeof layer.getChildCount !== 'function' || !layer.getElement()) return;
    layer.getElement().setAttribute('aria-label',
      layer.getChildCount() + ' lieux ici : afficher le détail');
  }

  function popupKeyboard(map) {
    // the popup's link takes the focus (its pane comes after every marker in the tab
    // order) and its close button speaks French; closing gives the focus back (focusBack)
    map.on('popupopen', function (event) {
      var popup = event.popup.getElement();
      var close = popup && popup.querySelector('.leaflet-popup-close-button');
      if (close) {
        close.setAttribute('aria-label', 'Fermer');
        close.title = 'Fermer';
      }
      var link = popup && popup.querySelector('.leaflet-popup-content a');
      if (link) link.focus();
      // Leaflet hears Escape only while the map itself has the focus
      if (popup && !popup.hasAttribute('data-escape')) {
        popup.setAttribute('data-escape', '');
        popup.addEventListener('keydown', function (key) {
          if (key.key === 'Escape') map.closePopup();
        });
      }
    });
  }

  function focusBack(event) {
    // the popup's element may be gone already: focus left in it (or lost) returns
    var marker = event.target;
    var popup = event.popup && event.popup.getElement();
    var active = document.activeElement;
    var lost = !active || active === document.body || (popup && popup.contains(active));
    if (lost && marker.getElement()) marker.getElement().focus();
  }

  function draw(block) {
    var element = block.querySelector('[data-map]');
    var data = block.querySelector('[data-map-venues]');
    var venues = data ? JSON.parse(data.textContent) : [];
    if (!element || !venues.length || typeof L === 'undefined') return;
    block.hidden = false;
    var map = L.map(element, { zoomControl: false, scrollWheelZoom: false });
    L.control.zoom({ zoomInTitle: 'Zoomer', zoomOutTitle: 'Dézoomer' }).addTo(map);
    map.attributionControl.setPrefix('Leaflet');
    L.tileLayer(element.getAttribute('data-tile-url'), {
      attribution: attributionOf(element), maxZoom: 19
    }).addTo(map);
    map.on('layeradd', labelCluster);
    popupKeyboard(map);
    var layer = layerOf(venues);
    map.addLayer(layer);
    if (venues.length === 1) {
      map.setView([venues[0].lat, venues[0].lon], SINGLE_ZOOM);
    } else {
      map.fitBounds(layer.getBounds(), { padding: [40, 40], maxZoom: SINGLE_ZOOM });
    }
  }

  function start() {
    document.querySelectorAll('[data-map-block]').forEach(draw);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
