/*
 * finbot web chat widget: one script, no dependencies.
 *
 *   <script src="https://bank.example/widget.js"></script>
 *   <script>
 *     FinbotWidget.mount({server: "https://bank.example", token: "<chat token>", language: "zh"});
 *   </script>
 *
 * Options (all optional except a token or getToken):
 *   server      finbot's base URL (default: where this script was loaded from)
 *   token       a customer chat token from POST /v1/customers/{id}/chat-tokens
 *   getToken    async () => token; called when there is no token or it has expired
 *   language    "zh" | "en" (default: the saved choice, then navigator.language)
 *   container   element or selector to draw into; without it a floating launcher is added
 *   open        floating mode: start opened (default false)
 *   storageKey  localStorage prefix for the session id (default "finbot"; e.g. one per customer)
 *   onSession   callback(sessionId) after the server confirms the conversation
 *
 * It speaks Rasa's socket.io channel events (session_request / session_confirm,
 * user_uttered / bot_uttered) over a minimal socket.io v5 client written below,
 * and redraws earlier messages from /v1/chat/{session}/transcript after a reload.
 * Message text is always set with textContent, never parsed as HTML.
 */
(function (global) {
  "use strict";

  // Where this script came from: the default server for an embedding page.
  var SCRIPT_ORIGIN = (function () {
    try {
      var src = document.currentScript && document.currentScript.src;
      return src ? new URL(src, global.location.href).origin : global.location.origin;
    } catch (e) {
      return global.location.origin;
    }
  })();

  var SVG_NS = "http://www.w3.org/2000/svg";
  var LANGUAGE_KEY = "finbot:language";          // a browser-wide choice, not per customer
  var SESSION_ID = /^[A-Za-z0-9_.:@-]{1,63}$/;   // what the server accepts as a session id
  var PALETTE = ["#1d5fbf", "#1f9d8b", "#e5a13a", "#7b61c2", "#d2555f", "#3fa3d9",
                 "#6b8e23", "#b0728c", "#56607a", "#f08a4b", "#2f4b7c", "#8fb8de"];

  // ---- user-facing words, both languages -------------------------------------------------

  var STRINGS = {
    zh: {
      title: "智能理财助手",
      subtitle: "由 finbot 提供",
      placeholder: "问问你的余额、消费或基金…",
      send: "发送",
      switchTo: "EN",
      switchLabel: "Switch to English",
      inputLabel: "你的消息",
      messagesLabel: "对话记录",
      suggestionsLabel: "你可以这样问",
      suggestions: ["我的余额是多少", "上个月花了多少钱", "我每个月能存多少钱", "给我推荐点基金"],
      welcome: "你好！我可以帮你查余额、分析收支、做风险测评和推荐适合你的基金。试试下面的问题：",
      connecting: "正在连接…",
      online: "在线",
      offline: "连接中断，正在重连…",
      stopped: "已断开",
      typing: "正在输入",
      history: "以上是之前的对话",
      total: "合计",
      open: "在线咨询",
      close: "关闭",
      errorGeneric: "抱歉，这条消息没能处理，请稍后再试。",
      errorExpired: "登录已过期，请重新登录后再继续对话。",
      errorStarting: "助手正在启动，请稍后再试。",
      errorTooLong: "消息太长了，请精简到 2000 字以内。",
      errorNoToken: "暂时无法连接在线助手，请刷新页面或重新登录。",
      chartSpending: "消费分布条形图",
      chartAllocation: "配置比例环形图",
    },
    en: {
      title: "Money assistant",
      subtitle: "powered by finbot",
      placeholder: "Ask about your balance, spending or funds…",
      send: "Send",
      switchTo: "中文",
      switchLabel: "切换到中文",
      inputLabel: "Your message",
      messagesLabel: "Conversation",
      suggestionsLabel: "Try asking",
      suggestions: ["What's my balance?", "How much did I spend last month?", "Am I saving enough?",
                    "Recommend me some funds"],
      welcome: "Hello! I can check your balances, break down your spending and income, run the risk " +
               "questionnaire and suggest funds that suit you. Try one of these:",
      connecting: "Connecting…",
      online: "Online",
      offline: "Connection lost, reconnecting…",
      stopped: "Disconnected",
      typing: "Typing",
      history: "Earlier conversation",
      total: "Total",
      open: "Chat with us",
      close: "Close",
      errorGeneric: "Sorry, that message could not be handled. Please try again shortly.",
      errorExpired: "Your session has expired. Please sign in again to continue.",
      errorStarting: "The assistant is starting up. Please try again in a moment.",
      errorTooLong: "That message is too long; please keep it under 2,000 characters.",
      errorNoToken: "The assistant is unavailable right now. Please reload the page or sign in again.",
      chartSpending: "Bar chart of spending by category",
      chartAllocation: "Donut chart of the suggested allocation",
    },
  };

  // ---- small helpers -------------------------------------------------------------------

  /** Integer cents -> "¥1,234.50". Integer arithmetic only: money never goes through floats. */
  function formatCents(cents) {
    var n = Number(cents);
    if (!Number.isSafeInteger(n)) return "—";
    var abs = Math.abs(n);
    var yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var fen = String(abs % 100);
    return (n < 0 ? "-" : "") + "¥" + yuan + "." + (fen.length < 2 ? "0" + fen : fen);
  }

  /** Sum of integer cents (exact: JS numbers hold integers up to 2^53 exactly). */
  function sumCents(values) {
    return values.reduce(function (a, b) { return a + b; }, 0);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text != null) node.textContent = text;
    return node;
  }

  function store(key, value) {  // localStorage can throw (private mode, sandboxed frames)
    try {
      if (value == null) global.localStorage.removeItem(key);
      else global.localStorage.setItem(key, value);
    } catch (e) { /* the chat still works, it just won't survive a reload */ }
  }

  function load(key) {
    try { return global.localStorage.getItem(key); } catch (e) { return null; }
  }

  /** Seconds until a JWT expires (Infinity when it has no readable exp). Not a verification. */
  function tokenSecondsLeft(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var claims = JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
      return typeof claims.exp === "number" ? claims.exp - Date.now() / 1000 : Infinity;
    } catch (e) {
      return Infinity;
    }
  }

  function defaultLanguage(saved) {
    if (saved === "zh" || saved === "en") return saved;
    var nav = (global.navigator && (global.navigator.language || "")) || "";
    return nav.toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  }

  // ---- a minimal socket.io v5 client over WebSocket ------------------------------------
  //
  // Engine.IO v4 packets are one frame each: "0" open (JSON handshake), "1" close,
  // "2" ping (we answer "3" pong), "4" message. A message carries a Socket.IO packet:
  // "0" connect ("40{auth}" from us, "40{sid}" back), "1" disconnect,
  // "2" event ("42[name, data]"), "4" connect error ("44{message}"). Default namespace only.

  function SocketIoClient(serverUrl, handlers) {
    this.url = serverUrl.replace(/^http/, "ws").replace(/\/+$/, "") + "/socket.io/?EIO=4&transport=websocket";
    // onConnect(), onEvent(name, data), onClose(reason: network|refused|server|closed), onConnectError(message)?
    this.handlers = handlers;
    this.ws = null;
    this.connected = false;
    this.heartbeat = null;
  }

  SocketIoClient.prototype.open = function (auth) {
    var self = this;
    var ws = new WebSocket(this.url);
    this.ws = ws;
    this.closeReason = "network";
    ws.onmessage = function (event) {
      if (self.ws === ws && typeof event.data === "string") self._onEnginePacket(event.data, auth);
    };
    ws.onclose = function () {
      if (self.ws !== ws) return;  // an old socket we already replaced
      clearTimeout(self.heartbeat);
      self.ws = null;
      self.connected = false;
      self.handlers.onClose(self.closeReason);
    };
  };

  SocketIoClient.prototype._onEnginePacket = function (packet, auth) {
    var type = packet.charAt(0);
    var body = packet.slice(1);
    if (type === "0") {                       // open: remember the heartbeat window, then join "/"
      var handshake = JSON.parse(body);
      this.pingWindow = (handshake.pingInterval || 25000) + (handshake.pingTimeout || 20000);
      this._expectPing();
      this.ws.send("40" + JSON.stringify(auth));
    } else if (type === "2") {                // ping -> pong
      this.ws.send("3");
      this._expectPing();
    } else if (type === "1") {
      this.ws.close();
    } else if (type === "4") {
      this._onSocketPacket(body);
    }
  };

  SocketIoClient.prototype._onSocketPacket = function (body) {
    var type = body.charAt(0);
    var rest = body.slice(1).replace(/^\d+/, "");   // an ack id, if any, is not used here
    if (type === "0") {
      this.connected = true;
      this.handlers.onConnect();
    } else if (type === "4") {                // refused (bad or expired token)
      var refusal = parseJson(rest) || {};
      this.closeReason = "refused";
      if (this.handlers.onConnectError) this.handlers.onConnectError(refusal.message || "");
      this.ws.close();
    } else if (type === "2") {
      var event = parseJson(rest);
      if (Array.isArray(event)) this.handlers.onEvent(event[0], event[1]);
    } else if (type === "1") {                // the server ended our session
      this.closeReason = "server";
      this.ws.close();
    }
  };

  // No ping within pingInterval + pingTimeout means the connection is dead: close and reconnect.
  SocketIoClient.prototype._expectPing = function () {
    var ws = this.ws;
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(function () { ws.close(); }, this.pingWindow);
  };

  SocketIoClient.prototype.emit = function (event, data) {
    if (!this.connected || !this.ws) return false;
    this.ws.send("42" + JSON.stringify([event, data]));
    return true;
  };

  SocketIoClient.prototype.close = function () {
    if (!this.ws) return;
    this.closeReason = "closed";
    if (this.connected) this.ws.send("41");
    this.ws.close();
  };

  function parseJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  // ---- charts as inline SVG ----------------------------------------------------------------

  function chartItems(chart) {
    var labels = Array.isArray(chart.labels) ? chart.labels : [];
    var values = Array.isArray(chart.values_cents) ? chart.values_cents : [];
    var keys = chart.categories || chart.fund_codes || [];
    var items = [];
    for (var i = 0; i < labels.length; i++) {
      var cents = Number(values[i]);
      items.push({ label: String(labels[i]), key: keys[i] != null ? String(keys[i]) : "",
                   cents: Number.isSafeInteger(cents) ? cents : 0, color: PALETTE[i % PALETTE.length] });
    }
    return items;
  }

  function chartFigure(chart, kind) {
    var figure = el("figure", "finbot-chart finbot-chart--" + kind);
    figure.setAttribute("data-testid", "finbot-chart");
    figure.setAttribute("data-kind", kind);
    figure.appendChild(el("figcaption", "finbot-chart-title", String(chart.title || "")));
    return figure;
  }

  function describe(items, total, t) {
    return items.map(function (it) { return it.label + " " + formatCents(it.cents); }).join("; ") +
      "; " + t.total + " " + formatCents(total);
  }

  /** spending_by_category: horizontal bars, largest first, each labelled with its amount. */
  function spendingChart(chart, t) {
    var items = chartItems(chart).sort(function (a, b) { return b.cents - a.cents; });
    var total = sumCents(items.map(function (it) { return it.cents; }));
    var max = Math.max.apply(null, items.map(function (it) { return it.cents; }).concat([1]));
    var width = 340, labelWidth = 92, valueWidth = 96, rowHeight = 30, barHeight = 16, top = 6;
    var barSpace = width - labelWidth - valueWidth - 8;
    var height = top * 2 + items.length * rowHeight;
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", role: "img",
                             "aria-label": t.chartSpending + ": " + describe(items, total, t),
                             preserveAspectRatio: "xMinYMin meet" });
    svg.appendChild(svgEl("title", {}, String(chart.title || t.chartSpending)));
    items.forEach(function (it, i) {
      var y = top + i * rowHeight;
      var barWidth = Math.max(2, Math.round((it.cents / max) * barSpace));
      var row = svgEl("g", { "class": "finbot-bar", "data-category": it.key, "data-cents": it.cents });
      row.appendChild(svgEl("text", { x: labelWidth - 8, y: y + rowHeight / 2, "text-anchor": "end",
                                      "dominant-baseline": "central", "class": "finbot-bar-label" }, it.label));
      row.appendChild(svgEl("rect", { x: labelWidth, y: y + (rowHeight - barHeight) / 2, width: barWidth,
                                      height: barHeight, rx: 4, fill: it.color, "class": "finbot-bar-rect" }));
      row.appendChild(svgEl("text", { x: labelWidth + barWidth + 6, y: y + rowHeight / 2,
                                      "dominant-baseline": "central", "class": "finbot-bar-value" },
                            formatCents(it.cents)));
      svg.appendChild(row);
    });
    var figure = chartFigure(chart, "spending_by_category");
    figure.appendChild(svg);
    figure.appendChild(el("p", "finbot-chart-total", t.total + " " + formatCents(total)));
    return figure;
  }

  /** allocation: a donut (one circle stroke per fund) with a legend of names, codes, amounts, shares. */
  function allocationChart(chart, t) {
    var items = chartItems(chart);
    var total = sumCents(items.map(function (it) { return it.cents; }));
    var size = 160, radius = 58, ring = 24, circumference = 2 * Math.PI * radius, offset = 0;
    var svg = svgEl("svg", { viewBox: "0 0 " + size + " " + size, width: size, height: size, role: "img",
                             "aria-label": t.chartAllocation + ": " + describe(items, total, t) });
    svg.appendChild(svgEl("title", {}, String(chart.title || t.chartAllocation)));
    svg.appendChild(svgEl("circle", { cx: size / 2, cy: size / 2, r: radius, fill: "none",
                                      stroke: "#e8edf5", "stroke-width": ring }));
    items.forEach(function (it) {
      var length = total > 0 ? (it.cents / total) * circumference : 0;
      svg.appendChild(svgEl("circle", {
        "class": "finbot-slice", "data-fund-code": it.key, "data-cents": it.cents,
        cx: size / 2, cy: size / 2, r: radius, fill: "none", stroke: it.color, "stroke-width": ring,
        "stroke-dasharray": length + " " + (circumference - length), "stroke-dashoffset": -offset,
        transform: "rotate(-90 " + size / 2 + " " + size / 2 + ")",
      }));
      offset += length;
    });
    svg.appendChild(svgEl("text", { x: size / 2, y: size / 2 - 8, "text-anchor": "middle",
                                    "class": "finbot-donut-caption" }, t.total));
    svg.appendChild(svgEl("text", { x: size / 2, y: size / 2 + 12, "text-anchor": "middle",
                                    "class": "finbot-donut-total" }, formatCents(total)));
    var legend = el("ul", "finbot-legend");
    items.forEach(function (it) {
      var share = total > 0 ? Math.round((it.cents * 1000) / total) / 10 : 0;
      var li = el("li", "finbot-legend-item");
      var swatch = el("span", "finbot-swatch");
      swatch.style.background = it.color;
      var name = el("span", "finbot-legend-name", it.label);
      if (it.key) name.appendChild(el("span", "finbot-legend-code", " " + it.key));
      li.appendChild(swatch);
      li.appendChild(name);
      li.appendChild(el("span", "finbot-legend-value", formatCents(it.cents) + " · " + share + "%"));
      legend.appendChild(li);
    });
    var figure = chartFigure(chart, "allocation");
    var body = el("div", "finbot-chart-body");
    body.appendChild(svg);
    body.appendChild(legend);
    figure.appendChild(body);
    return figure;
  }

  var CHARTS = { spending_by_category: spendingChart, allocation: allocationChart };

  // ---- the widget ------------------------------------------------------------------------

  function Widget(options) {
    this.options = options || {};
    this.server = String(this.options.server || SCRIPT_ORIGIN).replace(/\/+$/, "");
    this.token = this.options.token || null;
    this.getToken = typeof this.options.getToken === "function" ? this.options.getToken : null;
    this.key = this.options.storageKey || "finbot";
    this.lang = defaultLanguage(this.options.language || load(LANGUAGE_KEY));
    this.outbox = [];          // messages typed while offline, sent once the session is confirmed
    this.lastSent = null;      // re-sent if the server says the token expired before handling it
    this.historyLoaded = false;
    this.attempt = 0;          // reconnect backoff step
    this.buttonTitles = {};    // payload -> title, to show "/ask_spending" as the button the user clicked
    this.destroyed = false;
    this.socket = new SocketIoClient(this.server, {
      onConnect: this._onConnect.bind(this),
      onEvent: this._onEvent.bind(this),
      onClose: this._onClose.bind(this),
    });
  }

  Widget.prototype.t = function () { return STRINGS[this.lang]; };

  // -- building the DOM --

  Widget.prototype.render = function () {
    var container = this.options.container;
    if (typeof container === "string") container = document.querySelector(container);
    this.floating = !container;
    var root = el("section", "finbot-widget" + (this.floating ? " finbot-widget--floating" : " finbot-widget--inline"));
    root.setAttribute("data-testid", "finbot-widget");
    this.root = root;

    var header = el("header", "finbot-header");
    var brand = el("div", "finbot-brand");
    brand.appendChild(el("span", "finbot-logo", "¥"));
    var titles = el("div", "finbot-titles");
    this.titleEl = el("h2", "finbot-title");
    this.statusEl = el("p", "finbot-status");
    this.statusEl.setAttribute("data-testid", "finbot-status");
    this.statusEl.setAttribute("aria-live", "polite");
    titles.appendChild(this.titleEl);
    titles.appendChild(this.statusEl);
    brand.appendChild(titles);
    header.appendChild(brand);
    this.langButton = el("button", "finbot-lang");
    this.langButton.type = "button";
    this.langButton.setAttribute("data-testid", "finbot-language");
    this.langButton.addEventListener("click", this.setLanguage.bind(this, null));
    header.appendChild(this.langButton);
    if (this.floating) {
      this.closeButton = el("button", "finbot-close", "×");
      this.closeButton.type = "button";
      this.closeButton.addEventListener("click", this.toggle.bind(this, false));
      header.appendChild(this.closeButton);
    }
    root.appendChild(header);

    this.messagesEl = el("div", "finbot-messages");
    this.messagesEl.setAttribute("role", "log");
    this.messagesEl.setAttribute("aria-live", "polite");
    this.messagesEl.setAttribute("data-testid", "finbot-messages");
    // The greeting and example questions open the conversation (and scroll away with it).
    var intro = el("div", "finbot-intro");
    this.welcomeEl = el("p", "finbot-welcome");
    this.suggestionsEl = el("div", "finbot-suggestions");
    this.suggestionsEl.setAttribute("data-testid", "finbot-suggestions");
    intro.appendChild(this.welcomeEl);
    intro.appendChild(this.suggestionsEl);
    this.messagesEl.appendChild(intro);
    root.appendChild(this.messagesEl);

    var form = el("form", "finbot-composer");
    this.inputEl = el("input", "finbot-input");
    this.inputEl.type = "text";
    this.inputEl.maxLength = 2000;
    this.inputEl.autocomplete = "off";
    this.inputEl.setAttribute("data-testid", "finbot-input");
    this.sendButton = el("button", "finbot-send");
    this.sendButton.type = "submit";
    this.sendButton.setAttribute("data-testid", "finbot-send");
    form.appendChild(this.inputEl);
    form.appendChild(this.sendButton);
    var self = this;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.inputEl.value.trim();
      if (!text) return;
      self.inputEl.value = "";
      self.send(text);
    });
    root.appendChild(form);

    if (this.floating) {
      this.launcher = el("button", "finbot-launcher");
      this.launcher.type = "button";
      this.launcher.setAttribute("data-testid", "finbot-launcher");
      this.launcher.appendChild(el("span", "finbot-launcher-icon", "¥"));
      this.launcherLabel = el("span", "finbot-launcher-label");
      this.launcher.appendChild(this.launcherLabel);
      this.launcher.addEventListener("click", this.toggle.bind(this, true));
      document.body.appendChild(this.launcher);
      document.body.appendChild(root);
      this.toggle(!!this.options.open);
    } else {
      container.appendChild(root);
    }
    this._applyLanguage();
  };

  Widget.prototype.toggle = function (open) {
    if (!this.floating) return;
    this.root.hidden = !open;
    this.launcher.hidden = open;
    if (open) this.inputEl.focus();
  };

  /** Switch the interface language (null: the other one). The bot answers in the language typed. */
  Widget.prototype.setLanguage = function (lang) {
    this.lang = lang === "zh" || lang === "en" ? lang : (this.lang === "zh" ? "en" : "zh");
    store(LANGUAGE_KEY, this.lang);
    this._applyLanguage();
  };

  Widget.prototype._applyLanguage = function () {
    var t = this.t(), self = this;
    this.root.setAttribute("lang", this.lang === "zh" ? "zh-CN" : "en");
    this.titleEl.textContent = t.title;
    this.langButton.textContent = t.switchTo;
    this.langButton.setAttribute("aria-label", t.switchLabel);
    this.langButton.title = t.switchLabel;
    this.inputEl.placeholder = t.placeholder;
    this.inputEl.setAttribute("aria-label", t.inputLabel);
    this.sendButton.textContent = t.send;
    this.messagesEl.setAttribute("aria-label", t.messagesLabel);
    this.welcomeEl.textContent = t.welcome;
    if (this.closeButton) this.closeButton.setAttribute("aria-label", t.close);
    if (this.launcherLabel) this.launcherLabel.textContent = t.open;
    this.suggestionsEl.textContent = "";
    this.suggestionsEl.setAttribute("aria-label", t.suggestionsLabel);
    t.suggestions.forEach(function (question) {
      var chip = el("button", "finbot-chip", question);
      chip.type = "button";
      chip.setAttribute("data-testid", "finbot-suggestion");
      chip.addEventListener("click", function () { self.send(question); });
      self.suggestionsEl.appendChild(chip);
    });
    this._showStatus(this.statusKey || "connecting");
  };

  Widget.prototype._showStatus = function (key) {
    this.statusKey = key;
    this.statusEl.textContent = this.t()[key];
    this.statusEl.setAttribute("data-state", key);
  };

  // -- drawing messages --

  Widget.prototype._append = function (node) {
    this.messagesEl.appendChild(node);
    this.messagesEl.scrollTop = this.messagesEl.scrollHeight;
    return node;
  };

  /** A message bubble holding `content` (text, or a node such as a chart). Filled before it is
   *  appended, so scrolling to the bottom accounts for its full height. */
  Widget.prototype._bubble = function (sender, content, extraClass) {
    var row = el("div", "finbot-row finbot-row--" + sender);
    var bubble = el("div", "finbot-bubble finbot-bubble--" + sender + (extraClass ? " " + extraClass : ""));
    bubble.setAttribute("data-testid", "finbot-message");
    bubble.setAttribute("data-sender", sender);
    if (typeof content === "string") bubble.textContent = content;
    else bubble.appendChild(content);
    row.appendChild(bubble);
    return this._append(row);
  };

  Widget.prototype._userBubble = function (text) {
    this._retireQuickReplies();
    this._bubble("user", text);
  };

  Widget.prototype._botText = function (text) {
    this._bubble("bot", text);
  };

  Widget.prototype._quickReplies = function (replies) {
    var self = this;
    var group = el("div", "finbot-quick-replies");
    group.setAttribute("data-testid", "finbot-quick-replies");
    replies.forEach(function (reply) {
      if (!reply || reply.payload == null) return;
      var title = String(reply.title != null ? reply.title : reply.payload);
      var payload = String(reply.payload);
      self.buttonTitles[payload] = title;
      var button = el("button", "finbot-quick-reply", title);
      button.type = "button";
      button.setAttribute("data-testid", "finbot-quick-reply");
      button.setAttribute("data-payload", payload);
      button.addEventListener("click", function () { self.send(payload, title); });
      group.appendChild(button);
    });
    this._append(group);
  };

  // Buttons answer the message they came with; once the customer says something else, they retire.
  Widget.prototype._retireQuickReplies = function () {
    var buttons = this.messagesEl.querySelectorAll(".finbot-quick-reply:not([disabled])");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
  };

  Widget.prototype._custom = function (custom) {
    var chart = custom && custom.chart;
    var draw = chart && CHARTS[chart.kind];
    if (!draw) return;  // a payload this widget does not know how to draw
    // The chart's own words ("合计"/"Total") follow the language the bot wrote its title in.
    var words = /[\u4e00-\u9fff]/.test(String(chart.title || "")) ? STRINGS.zh
      : (chart.title ? STRINGS.en : this.t());
    this._bubble("bot", draw(chart, words), "finbot-bubble--chart");
  };

  Widget.prototype._image = function (src) {
    if (typeof src !== "string" || !/^https?:\/\//i.test(src)) return;
    var img = el("img", "finbot-image");
    img.src = src;
    img.alt = "";
    var messages = this.messagesEl;
    img.addEventListener("load", function () { messages.scrollTop = messages.scrollHeight; });
    this._bubble("bot", img);
  };

  /** One bot_uttered payload, as the server sends them live. */
  Widget.prototype._drawBotPayload = function (payload) {
    if (!payload || typeof payload !== "object") return;
    if (payload.text) this._botText(String(payload.text));
    if (Array.isArray(payload.quick_replies) && payload.quick_replies.length) this._quickReplies(payload.quick_replies);
    if (payload.attachment && payload.attachment.payload) this._image(payload.attachment.payload.src);
    if (payload.custom) this._custom(payload.custom);
  };

  /** One transcript line (stored events): split like the live channel so both look the same. */
  Widget.prototype._drawTranscriptLine = function (line) {
    var self = this;
    if (line.sender === "user") {
      var text = String(line.text || "");
      // A clicked button is stored as its payload ("/ask_spending"); show its title instead.
      this._userBubble(this.buttonTitles[text] || text);
      return;
    }
    String(line.text || "").trim().split("\n\n").forEach(function (part) { if (part) self._botText(part); });
    if (Array.isArray(line.buttons) && line.buttons.length) this._quickReplies(line.buttons);
    if (line.image) this._image(line.image);
    if (line.custom) this._custom(line.custom);
  };

  Widget.prototype._notice = function (message) {
    var notice = el("div", "finbot-notice", message);
    notice.setAttribute("role", "alert");
    notice.setAttribute("data-testid", "finbot-notice");
    this._append(notice);
  };

  Widget.prototype._typing = function (on) {
    if (this.typingEl) { this.typingEl.remove(); this.typingEl = null; }
    clearTimeout(this.typingTimer);
    if (!on) return;
    var row = el("div", "finbot-row finbot-row--bot finbot-typing");
    row.setAttribute("data-testid", "finbot-typing");
    row.setAttribute("aria-label", this.t().typing);
    var dots = el("div", "finbot-bubble finbot-bubble--bot finbot-dots");
    for (var i = 0; i < 3; i++) dots.appendChild(el("span"));
    row.appendChild(dots);
    this.typingEl = this._append(row);
    var self = this;
    this.typingTimer = setTimeout(function () { self._typing(false); }, 30000);
  };

  // -- talking to the server --

  /** Send a message; `shown` is what the customer sees (a button's title for its payload). */
  Widget.prototype.send = function (message, shown) {
    this._userBubble(shown || message);
    this._typing(true);
    this.outbox.push(message);
    this._flush();
  };

  Widget.prototype._flush = function () {
    if (!this.sessionId || !this.historyLoaded) return;
    while (this.outbox.length) {
      var message = this.outbox[0];
      if (!this.socket.emit("user_uttered", { message: message, session_id: this.sessionId })) return;
      this.lastSent = message;
      this.outbox.shift();
    }
  };

  /** A usable token: the current one, or a fresh one from getToken when missing or expiring. */
  Widget.prototype._freshToken = function (force) {
    var self = this;
    if (!force && this.token && tokenSecondsLeft(this.token) > 10) return Promise.resolve(this.token);
    if (!this.getToken) return Promise.resolve(this.token);
    return Promise.resolve(this.getToken()).then(function (token) {
      self.token = token || null;
      return self.token;
    });
  };

  Widget.prototype.connect = function (forceNewToken) {
    var self = this;
    if (this.destroyed) return;
    this._showStatus(this.attempt ? "offline" : "connecting");
    this._freshToken(forceNewToken).then(function (token) {
      if (self.destroyed) return;
      if (!token) { self._stop(self.t().errorNoToken); return; }
      self.socket.open({ token: token });
    }, function () {
      self._reconnectLater();
    });
  };

  Widget.prototype._onConnect = function () {
    this.attempt = 0;
    this.refreshedForRefusal = false;
    this._showStatus("online");
    var saved = this.sessionId || load(this.key + ":session");
    this.socket.emit("session_request", { session_id: saved && SESSION_ID.test(saved) ? saved : null });
  };

  // A refused token (reason "refused") or one that expired mid-chat gets one fresh token from
  // getToken; without getToken the widget stops and says so. Anything else: reconnect later.
  Widget.prototype._onClose = function (reason) {
    if (this.destroyed || reason === "closed") return;
    if (reason === "refused" || this.tokenExpired) {
      var canRefresh = this.getToken && !this.refreshedForRefusal;
      this.tokenExpired = false;
      if (!canRefresh) { this._stop(this.t().errorExpired); return; }
      this.refreshedForRefusal = true;
      this.connect(true);
      return;
    }
    this._reconnectLater();
  };

  // Exponential backoff with jitter (1 s, 2 s, 4 s ... 30 s), so a restarted server is not stampeded.
  Widget.prototype._reconnectLater = function () {
    var self = this;
    if (this.destroyed) return;
    this._showStatus("offline");
    var delay = Math.min(30000, 1000 * Math.pow(2, this.attempt)) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () { self.connect(false); }, delay);
  };

  Widget.prototype._stop = function (message) {
    this._typing(false);
    this._showStatus("stopped");
    this._notice(message);
  };

  Widget.prototype._onEvent = function (name, data) {
    if (name === "session_confirm") this._onSession(typeof data === "string" ? data : (data && data.session_id));
    else if (name === "bot_uttered") { this._typing(false); this._drawBotPayload(data); }
    else if (name === "chat_error") this._onChatError(data && data.error);
  };

  Widget.prototype._onSession = function (sessionId) {
    var self = this;
    if (!sessionId) return;
    var changed = this.sessionId !== sessionId;
    this.sessionId = String(sessionId);
    store(this.key + ":session", this.sessionId);
    if (typeof this.options.onSession === "function") this.options.onSession(this.sessionId);
    if (this.historyLoaded || !changed) { this._flush(); return; }
    this._loadHistory().then(function () {
      self.historyLoaded = true;
      self._flush();
    });
  };

  /** Redraw the conversation so far (after a reload) from the server's transcript. */
  Widget.prototype._loadHistory = function (retried) {
    var self = this;
    var url = this.server + "/v1/chat/" + encodeURIComponent(this.sessionId) + "/transcript";
    return fetch(url, { headers: { Authorization: "Bearer " + this.token } }).then(function (response) {
      if (response.status === 401 && self.getToken && !retried) {
        return self._freshToken(true).then(function () { return self._loadHistory(true); });
      }
      if (!response.ok) return null;
      return response.json().then(function (body) {
        var lines = (body && body.messages) || [];
        if (!lines.length) return;
        // Messages typed before the history arrived stay below it (child 0 is the greeting).
        var typed = Array.prototype.slice.call(self.messagesEl.children, 1);
        typed.forEach(function (node) { node.remove(); });
        lines.forEach(function (line) { self._drawTranscriptLine(line); });
        var divider = el("div", "finbot-divider", self.t().history);
        divider.setAttribute("data-testid", "finbot-history-divider");
        self._append(divider);
        typed.forEach(function (node) { self._append(node); });
      });
    }).catch(function () { /* no history is not fatal: the conversation continues */ });
  };

  Widget.prototype._onChatError = function (error) {
    var t = this.t();
    var text = String(error || "");
    this._typing(false);
    // The server's own words are for developers; the customer gets a polite sentence.
    if (/expired/i.test(text)) {
      this.tokenExpired = true;  // the server disconnects next; _onClose refreshes the token
      if (this.getToken && this.lastSent != null) { this.outbox.unshift(this.lastSent); this.lastSent = null; }
      return;
    }
    if (/starting/i.test(text)) this._notice(t.errorStarting);
    else if (/longer than/i.test(text)) this._notice(t.errorTooLong);
    else this._notice(t.errorGeneric);
  };

  Widget.prototype.destroy = function () {
    this.destroyed = true;
    clearTimeout(this.retryTimer);
    this._typing(false);
    this.socket.close();
    if (this.root) this.root.remove();
    if (this.launcher) this.launcher.remove();
  };

  // ---- public API ----------------------------------------------------------------------

  function ensureStylesheet(server) {
    if (document.querySelector("link[data-finbot-css]")) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = server + "/widget.css";
    link.setAttribute("data-finbot-css", "");
    document.head.appendChild(link);
  }

  global.FinbotWidget = {
    /** Draw the widget and connect. Returns the widget (call .destroy() to remove it). */
    mount: function (options) {
      var widget = new Widget(options);
      ensureStylesheet(widget.server);
      widget.render();
      widget.connect(false);
      return widget;
    },
    formatCents: formatCents,
  };
})(window);
