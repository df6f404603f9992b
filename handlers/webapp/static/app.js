/* 连心桥看板: a Telegram Mini App. Every figure comes from the bot's JSON API (the page computes none);
   every request carries Telegram's initData in a header (never in a URL). No inline script, no CDN. */
"use strict";

(function () {
  const main = document.getElementById("main");
  const tabs = document.getElementById("tabs");
  const toastBox = document.getElementById("toast");
  let L = {};          // labels, from /api/me (bot/texts/webapp.py)
  let me = null;
  let dark = false;
  const charts = [];

  // --- Telegram launch parameters: in the URL's fragment (tgWebAppData, tgWebAppThemeParams), kept for reloads
  function launchParams() {
    const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    let initData = hash.get("tgWebAppData");
    let theme = hash.get("tgWebAppThemeParams");
    try {
      if (initData) { sessionStorage.setItem("tgInitData", initData); } else { initData = sessionStorage.getItem("tgInitData"); }
      if (theme) { sessionStorage.setItem("tgTheme", theme); } else { theme = sessionStorage.getItem("tgTheme"); }
    } catch (e) { /* storage off: this load only */ }
    if (window.location.hash) { history.replaceState(null, "", window.location.pathname + window.location.search); }
    let params = {};
    try { params = theme ? JSON.parse(theme) : {}; } catch (e) { params = {}; }
    return { initData: initData || "", theme: params };
  }

  function postEvent(type, data) {
    const payload = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) { window.TelegramWebviewProxy.postEvent(type, payload); return; }
      if (window.parent !== window) { window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "*"); }
    } catch (e) { /* outside Telegram */ }
  }

  function applyTheme(theme) {
    const root = document.documentElement.style;
    const map = { bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
      button_color: "--button", button_text_color: "--button-text", secondary_bg_color: "--secondary-bg" };
    Object.keys(map).forEach(function (key) {
      if (/^#[0-9a-fA-F]{6}$/.test(theme[key] || "")) { root.setProperty(map[key], theme[key]); }
    });
    const bg = /^#[0-9a-fA-F]{6}$/.test(theme.bg_color || "") ? theme.bg_color : null;
    if (bg) {
      const n = parseInt(bg.slice(1), 16);
      dark = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) < 128;
    } else {
      dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    }
  }

  const launch = launchParams();
  applyTheme(launch.theme);

  // --- API
  async function call(path, body) {
    const options = { headers: { "Authorization": "tma " + launch.initData }, cache: "no-store" };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.error) || (L.error || "加载失败") + " (" + response.status + ")");
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // a file the API sends (initData in the header, as every call): kept as a blob, offered by a blob: URL
  async function download(path) {
    const response = await fetch(path, { headers: { "Authorization": "tma " + launch.initData }, cache: "no-store" });
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      const error = new Error((data && data.error) || (L.error || "加载失败") + " (" + response.status + ")");
      error.status = response.status;
      throw error;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    return { blob: await response.blob(), name: named ? decodeURIComponent(named[1]) : "report.docx" };
  }

  // --- DOM helpers (text only: values go in as textContent)
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "cls") { node.className = attrs[key]; }
      else if (key === "on") { node.addEventListener("click", attrs[key]); }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  function shown(value) { return value === null || value === undefined ? (L.none || "—") : String(value); }
  function one(value) { return value === null || value === undefined ? (L.none || "—") : Number(value).toFixed(1); }
  function toast(text) {
    toastBox.textContent = text;
    toastBox.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { toastBox.hidden = true; }, 4000);
  }
  function clear() {
    while (charts.length) { charts.pop().dispose(); }
    main.textContent = "";
  }
  function loading() { clear(); main.appendChild(el("p", { cls: "muted", text: L.loading || "正在加载…" })); }
  function failed(error, retry) {
    clear();
    main.appendChild(el("p", { cls: "error", id: "error", text: error.message }));
    if (retry && error.status !== 403) { main.appendChild(el("button", { cls: "act", text: L.retry, on: retry })); }
  }
  function card(key, value, id) {
    return el("div", { cls: "card" }, [el("div", { cls: "v", id: id, text: shown(value) }), el("div", { cls: "k", text: L[key] })]);
  }

  function barChart(names, values, label) {
    const box = el("div", { cls: "chart", "data-chart": label });
    box.style.height = Math.min(Math.max(names.length * 30 + 60, 150), 900) + "px";  // CSSOM: allowed by the CSP
    main.appendChild(box);
    if (!window.echarts) { return box; }
    const chart = window.echarts.init(box, dark ? "dark" : null, { renderer: "canvas" });
    charts.push(chart);
    chart.on("finished", function () { box.setAttribute("data-rendered", "1"); });
    const text = getComputedStyle(document.documentElement).getPropertyValue("--text").trim() || undefined;
    chart.setOption({
      backgroundColor: "transparent",
      animation: false,
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: text } },
      yAxis: { type: "category", inverse: true, data: names,
        axisLabel: { color: text, width: 110, overflow: "truncate" } },
      series: [{ type: "bar", name: label, data: values, label: { show: true, position: "right", color: text } }],
    });
    return box;
  }

  function sortableTable(columns, rows, onName) {
    // columns: [{key, label, numeric}]; sorting only reorders the rows the API gave
    const state = { key: null, asc: false };
    const wrap = el("div", { cls: "scroll" });
    function draw() {
      const sorted = rows.slice();
      if (state.key) {
        sorted.sort(function (a, b) {
          const x = a[state.key], y = b[state.key];
          const d = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
          return state.asc ? d : -d;
        });
      }
      const head = el("tr", {}, columns.map(function (c) {
        const th = el("th", { text: c.label, "data-key": c.key, on: function () {
          state.asc = state.key === c.key ? !state.asc : !c.numeric;
          state.key = c.key;
          draw();
        } });
        if (state.key === c.key) { th.className = "sorted" + (state.asc ? " asc" : ""); }
        return th;
      }));
      const body = sorted.map(function (row) {
        return el("tr", {}, columns.map(function (c, i) {
          if (i === 0 && onName && onName(row)) {
            return el("td", {}, [el("button", { cls: "link", text: shown(row[c.key]), on: function () { onName(row)(); } })]);
          }
          return el("td", { text: shown(row[c.key]) });
        }));
      });
      wrap.textContent = "";
      wrap.appendChild(el("table", { id: "drill-table" }, [el("thead", {}, [head]), el("tbody", {}, body)]));
    }
    draw();
    return wrap;
  }

  // --- views
  const views = { overview: overview, laggards: laggards, queue: queue,
    drill: function () { if (drillState.by === "station") { stations(); } else { drill(); } } };
  let current = "overview";
  let period = null;

  function drawTabs() {
    tabs.textContent = "";
    ["overview", "drill", "laggards", "queue"].forEach(function (name) {
      tabs.appendChild(el("button", { cls: name === current ? "on" : "", id: "tab-" + name, text: L["tab_" + name],
        on: function () { show(name); } }));
    });
  }

  function show(name, arg) {
    current = name;
    drawTabs();
    window.scrollTo(0, 0);
    (name === "member" ? member : views[name])(arg);
  }

  function periodBar(p, reload) {
    return el("div", { cls: "period" }, [
      el("button", { cls: "nav", id: "prev", text: L.prev, on: function () { period = p.prev; reload(); } }),
      el("strong", { id: "period", text: p.name }),
      (function () {
        const next = el("button", { cls: "nav", id: "next", text: L.next, on: function () { period = p.next; reload(); } });
        next.disabled = !p.next;
        return next;
      })(),
    ]);
  }

  async function overview() {
    loading();
    let data;
    try { data = await call("api/overview" + (period ? "?period=" + encodeURIComponent(period) : "")); }
    catch (error) { return failed(error, overview); }
    clear();
    period = data.period.label;
    main.appendChild(periodBar(data.period, overview));
    main.appendChild(el("p", { cls: "muted", text: L.scope + "：" + data.scope + " · " + L.as_of + " " + data.as_of }));
    const m = data.members;
    main.appendChild(el("div", { cls: "cards", id: "members" }, [
      card("members", m.members, "f-members"), card("bound", m.bound, "f-bound"),
      card("with_activity", m.with_activity, "f-with_activity"), card("on_pace", m.on_pace, "f-on_pace"),
      card("unbound", m.unbound, "f-unbound"), card("blocked", m.blocked, "f-blocked"),
      card("activities", data.activities, "f-activities"), card("people", data.people, "f-people"),
      card("verified_people", data.verified_people, "f-verified_people"),
    ]));
    main.appendChild(el("p", { cls: "muted", text: L.expected + "：" + m.expected_people }));
    main.appendChild(el("h2", { text: L.by_kind }));
    if (data.by_kind.length) {
      barChart(data.by_kind.map(function (r) { return r.name; }), data.by_kind.map(function (r) { return r.activities; }),
        L.chart_activities);
      main.appendChild(sortableTable([{ key: "name", label: L.kind }, { key: "activities", label: L.activities, numeric: true },
        { key: "people", label: L.people, numeric: true }], data.by_kind));
    } else { main.appendChild(el("p", { cls: "muted", text: L.no_rows })); }
    if (data.cases) {
      const c = data.cases;
      main.appendChild(el("h2", { text: L.cases }));
      main.appendChild(el("div", { cls: "cards", id: "cases" }, [
        card("received", c.received, "f-received"), card("accepted", c.accepted, "f-accepted"),
        card("resolved", c.resolved, "f-resolved"), card("confirmed", c.confirmed, "f-confirmed"),
        card("open", c.open, "f-open"), card("overdue", c.overdue, "f-overdue"),
        card("median_accept", one(c.median_hours_to_accept), "f-median_accept"),
        card("median_resolve", one(c.median_hours_to_resolve), "f-median_resolve"),
      ]));
      main.appendChild(el("p", { cls: "muted", text: L.rating + "：" + one(c.average_rating) }));
    }
  }

  const drillState = { by: "group", stack: [] };  // stack: region drill-downs, the last is shown

  async function drill() {
    loading();
    const top = drillState.stack[drillState.stack.length - 1];
    let path = "api/drill?by=" + drillState.by + (period ? "&period=" + encodeURIComponent(period) : "");
    if (top) { path += "&dim=" + top.dim + "&value=" + encodeURIComponent(top.value); }
    let data;
    try { data = await call(path); } catch (error) { return failed(error, drill); }
    clear();
    period = data.period.label;
    main.appendChild(periodBar(data.period, drill));
    main.appendChild(segment(drillState.by));
    if (data.parent_name || top) {
      main.appendChild(el("p", { cls: "muted", text: data.parent_name || (top && top.name) || "" }));
    }
    if (drillState.stack.length) {
      main.appendChild(el("button", { cls: "act light", id: "up", text: L.up, on: function () { drillState.stack.pop(); drill(); } }));
    }
    if (!data.rows.length) { main.appendChild(el("p", { cls: "muted", text: L.no_rows })); return; }
    barChart(data.rows.map(function (r) { return r.name; }), data.rows.map(function (r) { return r.activities; }), L.chart_activities);
    const columns = [{ key: "name", label: L.name }, { key: "members", label: L.members, numeric: true },
      { key: "active_members", label: L.active_members, numeric: true }, { key: "activities", label: L.activities, numeric: true },
      { key: "people", label: L.people, numeric: true }];
    main.appendChild(sortableTable(columns, data.rows, function (row) {
      if (data.by !== "region" || row.key === null) { return null; }
      return function () { drillState.stack.push({ dim: "region", value: row.key, name: row.name }); drill(); };
    }));
  }

  function segment(active) {
    // the drill-downs' switch; 工作站 only when the scope has stations (as /stats' 🏠 button)
    const seg = el("div", { cls: "seg" });
    const kinds = [["group", L.by_group], ["sector", L.by_sector], ["region", L.by_region]];
    if (me.stations) { kinds.push(["station", L.by_station]); }
    kinds.forEach(function (pair) {
      seg.appendChild(el("button", { cls: pair[0] === active ? "on" : "", id: "by-" + pair[0], text: pair[1], on: function () {
        drillState.by = pair[0];
        drillState.stack = [];
        if (pair[0] === "station") { stations(); } else { drill(); }
      } }));
    });
    return seg;
  }

  async function stations() {
    loading();
    let data;
    try { data = await call("api/stations" + (period ? "?period=" + encodeURIComponent(period) : "")); }
    catch (error) { return failed(error, stations); }
    clear();
    period = data.period.label;
    main.appendChild(periodBar(data.period, stations));
    main.appendChild(segment("station"));
    main.appendChild(el("div", { cls: "cards", id: "stations" }, [
      card("stations_total", data.stations, "s-stations"), card("receptions", data.receptions, "s-receptions"),
      card("checkins", data.checkins, "s-checkins"), card("station_cases", data.cases, "s-cases"),
      card("six_complete", data.six_complete, "s-six_complete"), card("stations_idle", data.idle.length, "s-idle"),
    ]));
    if (!data.rows.length) { main.appendChild(el("p", { cls: "muted", text: L.no_rows })); return; }
    barChart(data.chart.map(function (r) { return r.name; }), data.chart.map(function (r) { return r.receptions; }),
      L.chart_receptions);
    main.appendChild(sortableTable([{ key: "name", label: L.name }, { key: "kind", label: L.station_kind },
      { key: "receptions", label: L.receptions, numeric: true }, { key: "checkins", label: L.checkins, numeric: true },
      { key: "cases", label: L.station_cases, numeric: true }, { key: "six_done", label: L.six_done, numeric: true },
      { key: "members", label: L.station_members, numeric: true }], data.rows));
    if (data.idle.length) {
      main.appendChild(el("h2", { text: L.stations_idle + "（" + data.idle.length + "）" }));
      const list = el("div", { id: "stations-idle" });
      data.idle.forEach(function (s) {
        list.appendChild(el("div", { cls: "item line", text: s.code + " " + s.name + " · " + L.six_done + " " + s.six_done + "/6" }));
      });
      main.appendChild(list);
    }
  }

  async function laggards(offset) {
    loading();
    let data;
    try { data = await call("api/laggards?offset=" + (offset || 0)); } catch (error) { return failed(error, laggards); }
    clear();
    main.appendChild(el("h1", { text: data.quarter + L.laggards_head + "（" + data.total + "）" }));
    main.appendChild(el("p", { cls: "muted", text: L.as_of + " " + data.as_of }));
    if (!data.rows.length) { main.appendChild(el("p", { cls: "muted", text: L.no_laggards })); return; }
    const list = el("div", { id: "laggards" });
    data.rows.forEach(function (row) {
      const item = el("div", { cls: "item", "data-member": row.member_id }, [
        el("button", { cls: "link title", text: row.name + "（" + row.number + "）", on: function () { show("member", row.member_id); } }),
        row.group ? el("div", { cls: "line", text: row.group }) : null,
      ].concat(row.why.map(function (why) { return el("div", { cls: "warn", text: why }); })).concat([
        el("div", { cls: "line", text: L.last_activity + "：" + shown(row.last_activity) + " · " + row.reach }),
      ]));
      if (row.reachable) {
        item.appendChild(el("button", { cls: "act", text: L.nudge, on: async function (event) {
          event.target.disabled = true;
          try { toast((await call("api/nudge", { member: row.member_id })).message); }
          catch (error) { toast(error.message); event.target.disabled = false; }
        } }));
      }
      list.appendChild(item);
    });
    main.appendChild(list);
    if (data.offset + data.rows.length < data.total) {
      main.appendChild(el("button", { cls: "act light", text: L.more, on: function () { laggards(data.offset + data.page); } }));
    }
  }

  async function queue(offset) {
    loading();
    let data;
    try { data = await call("api/queue?offset=" + (offset || 0)); } catch (error) { return failed(error, queue); }
    clear();
    main.appendChild(el("h1", { text: L.queue_head + "（" + data.total + "）" }));
    if (!data.rows.length) { main.appendChild(el("p", { cls: "muted", text: L.queue_empty })); return; }
    const list = el("div", { id: "queue" });
    data.rows.forEach(function (row) {
      const box = el("div", { cls: "candidates" });
      const item = el("div", { cls: "item", "data-case": row.id }, [
        el("div", { cls: "title", text: row.number + " · " + row.category }),
        el("div", { cls: "line", text: row.status + " · " + row.handler + " · " + row.age_days + " " + L.age }),
        el("div", { cls: "warn", text: row.reasons.join("、") }),
        el("button", { cls: "act light", text: L.assign_to + "…", on: async function (event) {
          event.target.disabled = true;
          let found;
          try { found = await call("api/cases/" + row.id + "/candidates"); }
          catch (error) { toast(error.message); event.target.disabled = false; return; }
          box.textContent = "";
          if (!found.rows.length) { box.appendChild(el("p", { cls: "muted", text: L.no_candidates })); return; }
          found.rows.forEach(function (c) {
            box.appendChild(el("button", { cls: "act", "data-member": c.member_id, text: L.assign_to + " " + c.name + "（" + c.reason + "）",
              on: async function () {
                try { toast((await call("api/assign", { case: row.id, member: c.member_id })).message); queue(); }
                catch (error) { toast(error.message); }
              } }));
          });
        } }),
        box,
      ]);
      list.appendChild(item);
    });
    main.appendChild(list);
    if (data.offset + data.rows.length < data.total) {
      main.appendChild(el("button", { cls: "act light", text: L.more, on: function () { queue(data.offset + data.page); } }));
    }
  }

  async function member(memberId) {
    loading();
    let data;
    try { data = await call("api/members/" + memberId); } catch (error) { return failed(error, function () { member(memberId); }); }
    clear();
    main.appendChild(el("button", { cls: "act light", text: L.back, on: function () { show("laggards"); } }));
    main.appendChild(el("h1", { id: "member-name", text: data.name + "（" + data.number + "）" }));
    [[L.sector, data.sector], [L.group, data.group], [L.region, data.region], [L.phone, data.phone]].forEach(function (pair) {
      if (pair[1]) { main.appendChild(el("div", { cls: "line muted", text: pair[0] + "：" + pair[1] })); }
    });
    main.appendChild(el("h2", { text: data.year + " " + L.member_head }));
    main.appendChild(el("div", { cls: "cards" }, [
      card("year_activities", data.year_activities, "m-activities"), card("people", data.year_people, "m-people"),
      card("verified_people", data.year_verified_people, "m-verified_people"),
      card("points", one(data.year_points), "m-points"), card("expected", data.expected_people, "m-expected"),
    ]));
    if (data.rank) { main.appendChild(el("p", { cls: "muted", text: L.rank + "：" + data.rank + " / " + data.peers })); }
    barChart(data.quarters.map(function (q) { return "Q" + q.quarter; }), data.quarters.map(function (q) { return q.activities; }),
      L.chart_activities);
    main.appendChild(sortableTable([{ key: "quarter", label: L.quarter }, { key: "activities", label: L.activities, numeric: true },
      { key: "people", label: L.people, numeric: true }, { key: "verified_people", label: L.verified_people, numeric: true },
      { key: "points", label: L.points, numeric: true }], data.quarters));
    main.appendChild(el("h2", { text: L.year_activities }));
    if (!data.activities.length) { main.appendChild(el("p", { cls: "muted", text: L.no_rows })); }
    data.activities.forEach(function (a) {
      main.appendChild(el("div", { cls: "item line", text: a.date + " · " + a.kind + " · " + a.people + " " + L.people }));
    });
    main.appendChild(el("h2", { text: L.year_cases }));
    if (!data.cases.length) { main.appendChild(el("p", { cls: "muted", text: L.no_rows })); }
    data.cases.forEach(function (c) {
      main.appendChild(el("div", { cls: "item line", text: c.created + " · " + c.number + " · " + c.category + " · " + c.status }));
    });
    main.appendChild(reportButton(data.report));
  }

  function reportButton(report) {
    // the member's duty report: fetched with the header, then saved through a link to the blob
    const box = el("div", { id: "report" });
    const button = el("button", { cls: "act", id: "report-button", text: report.label, on: async function () {
      button.disabled = true;
      toast(L.report_loading);
      let file;
      try { file = await download(report.path); }
      catch (error) { toast(error.message); button.disabled = false; return; }
      const old = box.querySelector("a");
      if (old) { URL.revokeObjectURL(old.href); old.remove(); }
      const link = el("a", { id: "report-link", cls: "link", href: URL.createObjectURL(file.blob), download: file.name,
        text: L.report_ready });
      box.appendChild(link);
      link.click();
      button.disabled = false;
    } });
    box.appendChild(button);
    return box;
  }

  // --- start
  async function start() {
    try { me = await call("api/me"); } catch (error) { L = {}; return failed(error, start); }
    L = me.labels;
    document.title = L.title;
    postEvent("web_app_ready");
    postEvent("web_app_expand");
    const asked = new URLSearchParams(window.location.search).get("view");
    show(views[asked] ? asked : "overview");
  }
  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
  start();
})();
