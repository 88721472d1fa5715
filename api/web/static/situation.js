// The situation picture (一屏观全域): the map page and the dashboard's live panels. Plain JavaScript
// and the vendored Leaflet (static/vendor/leaflet), no tiles and nothing from other hosts, so it works
// on a network with no way out. The panels come from the server already in the reader's language;
// this file polls them, keeps the respond-by countdowns running, sounds new urgent cases once, and
// draws the grids, the heat and the cases on the map.
"use strict";

(function () {
  const root = document.getElementById("situation");
  if (!root) return;
  const panels = document.getElementById("situation-panels");
  const mapElement = document.getElementById("map");
  const every = Number(root.dataset.refresh || 30) * 1000;
  const announced = new Set();  // urgent cases announced while this page is open
  let skew = 0;  // the server's clock minus this browser's: the countdowns run on the server's
  let map = null;

  // ---- the respond-by countdowns ----------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, "0");

  function clockText(seconds) {
    const s = Math.abs(Math.trunc(seconds));
    const h = Math.floor(s / 3600);
    const rest = pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    return h ? h + ":" + rest : rest;
  }

  function tick() {
    const list = document.getElementById("countdowns");
    if (!list) return;
    const now = Date.now() + skew;
    list.querySelectorAll("[data-due]").forEach((item) => {
      const left = (Date.parse(item.dataset.due) - now) / 1000;
      const late = left < 0;
      item.classList.toggle("is-late", late);
      item.querySelector(".cd-label").textContent = late ? list.dataset.late : list.dataset.left;
      item.querySelector(".cd-clock").textContent = clockText(left);
    });
  }

  // ---- new urgent cases: the banner and the chime (app.js), once per case and browser session ----
  function announce() {
    const banner = document.getElementById("situation-alert");
    if (!banner) return;
    const ids = banner.dataset.cases.split(",");
    const fresh = window.GridTriage ? window.GridTriage.unheard(ids) : [];
    if (fresh.length) {
      root.dataset.sounded = window.GridTriage.chime();  // the root outlives the panels' refreshes
      root.dataset.chimes = String(Number(root.dataset.chimes || 0) + 1);
      window.GridTriage.markHeard(fresh);
      fresh.forEach((id) => announced.add(id));
    }
    banner.querySelectorAll("[data-case]").forEach((link) => { link.hidden = !announced.has(link.dataset.case); });
    banner.hidden = !ids.some((id) => announced.has(id));
  }

  panels.addEventListener("click", (event) => {
    if (event.target.id !== "situation-alert-close") return;
    announced.clear();
    document.getElementById("situation-alert").hidden = true;
  });

  const sound = document.getElementById("sound-toggle");
  if (sound && window.GridTriage) {
    sound.addEventListener("click", async () => {
      sound.dataset.state = await window.GridTriage.unlockSound();
      sound.textContent = sound.dataset.on;
      sound.classList.add("is-on");
    });
  }

  function settle() {
    const updated = document.getElementById("situation-updated");
    if (updated) skew = Date.parse(updated.dataset.asOf) - Date.now();
    tick();
    announce();
  }

  // ---- polling ----------------------------------------------------------------------------------
  async function getJson(url) {
    const response = await fetch(url, {credentials: "same-origin",
                                       headers: {"X-Requested-With": "fetch", "Accept": "application/json"}});
    if (response.status === 401) {
      window.location = "/ui/login?next=" + encodeURIComponent(location.pathname);
      throw new Error("401");
    }
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  async function refresh() {
    try {
      const data = await getJson(root.dataset.source);
      panels.innerHTML = data.panels;  // rendered (and escaped) by the server
      root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
      settle();
      if (map) map.draw(data.situation);
      delete root.dataset.error;
    } catch (error) {
      root.dataset.error = String(error);
      const updated = document.getElementById("situation-updated");
      if (updated && mapElement) updated.textContent = words().refresh_failed || String(error);
      if (updated) updated.classList.add("is-error");
    }
  }

  function words() {
    return mapElement ? JSON.parse(mapElement.dataset.words || "{}") : {};
  }

  // ---- the map ----------------------------------------------------------------------------------
  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  const heatOf = (n, top) => (n ? Math.min(5, Math.ceil((5 * n) / top)) : 0);

  function SituationMap(el, layer, w) {
    const m = L.map(el, {zoomSnap: 0.25, minZoom: 4, maxZoom: 19, attributionControl: true});
    m.attributionControl.setPrefix("Leaflet");  // credited, without a link out
    if (layer.bounds) m.fitBounds(layer.bounds);  // a map draws its layers once it has a view
    else m.setView([0, 0], 2);
    m.createPane("labels").classList.add("labels-pane");
    const names = new Map();
    const gridLoad = new Map();

    function gridTip(shape) {
      const p = shape.feature.properties;
      const load = gridLoad.get(p.id) || {open: 0, overdue: 0};
      const box = element("div", "grid-tip");
      box.append(element("b", "", p.name), element("div", "small", w.open + " " + load.open + " · " + w.overdue + " " +
                                                   load.overdue));
      if (p.members && p.members.length) {
        box.append(element("div", "small muted", w.members + "：" +
                           p.members.map((x) => x.role + " " + x.name).join("、")));
      }
      return box;
    }

    const grids = L.geoJSON(layer.grids, {
      style: (f) => ({className: "grid-shape grid-" + f.properties.level, weight: 1}),
      onEachFeature: (f, shape) => shape.bindTooltip(gridTip, {sticky: true}),
    }).addTo(m);
    const hasGrids = grids.getLayers().length > 0;
    document.getElementById("heat-title").textContent = hasGrids ? w.heat_grid : w.heat_street;
    layer.labels.forEach((label) => {
      const icon = L.divIcon({className: "map-label map-label-" + label.kind, iconSize: null,
                              html: element("span", "", label.name)});
      L.marker([label.lat, label.lon], {icon, pane: "labels", interactive: false, keyboard: false}).addTo(m);
    });
    const streets = new Map(layer.labels.filter((l) => l.kind === "street").map((l) => [l.id, l]));
    const heat = L.layerGroup().addTo(m);
    const cases = L.layerGroup().addTo(m);
    const near = () => el.classList.toggle("zoom-near", m.getZoom() >= 13);  // street names once they fit
    m.on("zoomend", near);
    let placed = false;

    function casePopup(p) {
      const box = element("div", "case-popup");
      const link = element("a", "", "#" + p.id + " " + p.title);
      link.href = "/ui/cases/" + p.id;
      const facts = [w.priority[p.priority] || p.priority, w.status[p.status] || p.status,
                     names.get(p.department) || p.department];
      box.append(link, element("div", "small muted", facts.join(" · ") + (p.located === "street" ? w.at_street : "")));
      if (p.overdue) box.append(element("div", "small late", w.overdue));
      return box;
    }

    function draw(s) {
      s.departments.forEach((d) => names.set(d.id, d.name));
      gridLoad.clear();
      s.grids.forEach((g) => gridLoad.set(g.id, g));
      const top = Math.max(1, ...s.grids.map((g) => g.open));
      grids.eachLayer((shape) => {
        const path = shape.getElement();
        if (!path) return;
        const load = gridLoad.get(shape.feature.properties.id);
        for (let k = 0; k <= 5; k++) path.classList.remove("heat-" + k);
        path.classList.add("heat-" + heatOf(load ? load.open : 0, top));
      });
      heat.clearLayers();
      if (!hasGrids) {
        const most = Math.max(1, ...s.streets.map((a) => a.open));
        s.streets.forEach((area) => {
          const at = streets.get(area.id);
          if (!at) return;
          L.circleMarker([at.lat, at.lon], {radius: 8 + 18 * Math.sqrt(area.open / most), interactive: false,
                                            className: "street-heat heat-" + heatOf(area.open, most)}).addTo(heat);
        });
      }
      cases.clearLayers();
      const shown = s.points.filter((p) => p.lat !== null && p.lon !== null);
      shown.slice().reverse().forEach((p) => {  // the most pressing drawn last, on top
        const classes = ["case-pt", "pt-" + p.priority, p.overdue ? "is-overdue" : "", p.emergency ? "is-emergency" : "",
                         p.located === "street" ? "at-street" : ""];
        L.circleMarker([p.lat, p.lon], {radius: p.priority === "urgent" ? 9 : 6, weight: 2,
                                        className: classes.join(" ").trim()})
          .bindPopup(() => casePopup(p)).addTo(cases);
      });
      const notes = [];
      if (shown.length < s.points.length) notes.push(w.unlocated.replace("{n}", s.points.length - shown.length));
      if (s.open > s.points.length) notes.push(w.capped.replace("{n}", s.points.length));
      document.getElementById("map-note").textContent = notes.join("；");
      el.dataset.points = String(shown.length);
      el.dataset.grids = String(grids.getLayers().length);
      if (!placed) {
        placed = true;
        // the whole grid layer for the city; a department's cases or a grid's own shape for them
        const bounds = L.latLngBounds([]);
        grids.eachLayer((shape) => {
          if (s.grid ? shape.feature.properties.id === s.grid : !s.department) bounds.extend(shape.getBounds());
        });
        shown.forEach((p) => bounds.extend([p.lat, p.lon]));
        if (!bounds.isValid() && hasGrids) bounds.extend(grids.getBounds());
        if (bounds.isValid()) m.fitBounds(bounds, {padding: [24, 24], maxZoom: 16});
        near();
      }
      el.dataset.ready = "1";
    }

    return {draw, leaflet: m};
  }

  async function start() {
    settle();
    if (mapElement && window.L) {
      try {
        map = SituationMap(mapElement, await getJson(mapElement.dataset.layer), words());
      } catch (error) {
        mapElement.dataset.error = String(error);
      }
      await refresh();
    }
    window.setInterval(refresh, every);
    window.setInterval(tick, 1000);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  }

  start();
})();
