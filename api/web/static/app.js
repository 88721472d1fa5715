// GridTriage pages: plain JavaScript, no build step, nothing from other hosts.
// The intake page drafts and confirms through fetch (keyboard-first); every other page works
// with plain forms, and this file only adds conveniences to them.
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", body, credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf(), "X-Requested-With": "fetch"},
    });
    const type = response.headers.get("content-type") || "";
    const data = type.includes("application/json") ? await response.json() : await response.text();
    return {ok: response.ok, status: response.status, data};
  }

  function say(element, text, kind) {
    if (!element) return;
    element.textContent = text;
    element.className = element.className.replace(/\bis-\w+/g, "").trim() + (kind ? " is-" + kind : "");
  }

  function detail(result) {
    if (result.status === 401) { window.location = "/ui/login?next=" + encodeURIComponent(location.pathname); }
    return (result.data && result.data.detail) || String(result.status);
  }

  // ---- intake ----------------------------------------------------------------------------------
  const intake = document.getElementById("intake-form");
  if (intake) {
    const panel = document.getElementById("draft-panel");
    const status = document.getElementById("draft-status");
    const photos = document.getElementById("report-photos");
    let busy = false;

    async function draft() {
      if (busy) return;
      const text = document.getElementById("report-text").value.trim();
      if (!text && !(photos && photos.files.length)) { say(status, status.dataset.empty || "…", "error"); return; }
      const max = Number(photos ? photos.dataset.max : 6);
      if (photos && photos.files.length > max) { say(status, "≤ " + max, "error"); return; }
      busy = true;
      say(status, "…", "busy");
      const started = performance.now();
      try {
        const result = await post(intake.action, new FormData(intake));
        if (!result.ok) { say(status, detail(result), "error"); return; }
        panel.innerHTML = result.data;
        panel.classList.add("has-draft");
        say(status, Math.round(performance.now() - started) + " ms", "ok");
        bindDraft();
      } catch (error) {
        say(status, String(error), "error");
      } finally {
        busy = false;
      }
    }

    async function finish(action) {
      const form = document.getElementById("draft-form");
      if (!form || busy || form.dataset.done) return;
      const out = document.getElementById("finish-result");
      const body = new FormData(form);
      body.set("action", action || form.dataset.primary);
      busy = true;
      try {
        const result = await post(form.action, body);
        if (!result.ok) { say(out, detail(result), "error"); return; }
        form.dataset.done = "1";
        form.classList.add("is-done");
        form.querySelectorAll("input, select, textarea, button").forEach((el) => { el.disabled = true; });
        out.replaceChildren();
        const message = document.createElement("span");
        message.textContent = result.data.message + " ";
        const link = document.createElement("a");
        link.href = result.data.case_url;
        link.id = "finished-case-link";
        link.textContent = "#" + result.data.case_id + " →";
        out.append(message, link);
        out.className = "is-ok";
        intake.reset();
        document.getElementById("report-text").focus();
      } finally {
        busy = false;
      }
    }

    async function merge(into) {
      const form = document.getElementById("draft-form");
      if (!form || busy || form.dataset.done) return;
      const out = document.getElementById("finish-result");
      const body = new FormData();
      body.set("into", into);
      const result = await post("/ui/intake/" + form.dataset.case + "/merge", body);
      if (!result.ok) { say(out, detail(result), "error"); return; }
      form.dataset.done = "1";
      form.classList.add("is-done");
      say(out, result.data.message, "ok");
      intake.reset();
    }

    function bindDraft() {
      const form = document.getElementById("draft-form");
      if (!form) return;
      form.addEventListener("submit", (event) => { event.preventDefault(); finish(); });
      form.querySelectorAll("[data-action]").forEach((button) => {
        button.addEventListener("click", () => finish(button.dataset.action));
      });
      form.querySelectorAll("[data-merge]").forEach((button) => {
        button.addEventListener("click", () => merge(button.dataset.merge));
      });
    }

    intake.addEventListener("submit", (event) => { event.preventDefault(); draft(); });
    document.addEventListener("keydown", (event) => {
      if (event.key === "F2") {  // the emergency protocol's one key: confirm and dispatch to the lead
        const now = document.getElementById("emergency-dispatch");
        if (now) { event.preventDefault(); now.click(); }
        return;
      }
      if (!(event.ctrlKey || event.metaKey)) return;
      if (event.key === "Enter") { event.preventDefault(); draft(); }
      if (event.key === "s" || event.key === "S") { event.preventDefault(); finish(); }
    });
  }

  // ---- case page: draft the reply to the citizen into the editable textarea --------------------
  const replyDraft = document.getElementById("reply-draft-form");
  if (replyDraft) {
    replyDraft.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = document.getElementById("reply-draft-status");
      const button = document.getElementById("reply-draft-button");
      button.disabled = true;
      say(out, "…", "busy");
      try {
        const result = await post(replyDraft.action, new FormData(replyDraft));
        if (!result.ok) { say(out, detail(result), "error"); return; }
        document.getElementById("reply-text").value = result.data.text;
        document.getElementById("reply-drafted").value = result.data.text;
        document.getElementById("reply-source").value = result.data.source;
        const flagged = document.getElementById("reply-unsupported");
        flagged.textContent = result.data.unsupported_text;
        flagged.hidden = !result.data.unsupported_text;
        say(out, result.data.message, "ok");
        document.getElementById("reply-text").focus();
      } catch (error) {
        say(out, String(error), "error");
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- handlers' page: no more after-photos than a disposal takes -----------------------------
  document.querySelectorAll(".dispose-form input[type=file]").forEach((input) => {
    input.addEventListener("change", () => {
      const max = Number(input.dataset.max || 6);
      input.setCustomValidity(input.files.length > max ? "≤ " + max : "");
    });
  });

  // ---- alerts: a new emergency or urgent case sounds once per browser session ------------------
  // (the situation map and the dashboard's panels use the same chime through window.GridTriage)
  let audio = null;
  const HEARD = "gt_alerted";

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      [0, 0.35, 0.7].forEach((at) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.value = 0.2;
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + at);
        tone.stop(audio.currentTime + at + 0.2);
      });
      return audio.state === "running" ? "yes" : "blocked";
    } catch (error) {
      return "unavailable";
    }
  }

  function unlockSound() {  // browsers play sound only after a person has used the page
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      return audio.resume().then(() => audio.state);
    } catch (error) {
      return Promise.resolve("unavailable");
    }
  }

  function unheard(ids) {
    const heard = new Set((sessionStorage.getItem(HEARD) || "").split(",").filter(Boolean));
    return ids.filter((id) => id && !heard.has(id));
  }

  function markHeard(ids) {
    const heard = new Set((sessionStorage.getItem(HEARD) || "").split(",").filter(Boolean));
    ids.forEach((id) => heard.add(id));
    sessionStorage.setItem(HEARD, Array.from(heard).join(","));
  }

  window.GridTriage = {chime, unlockSound, unheard, markHeard};

  const alarm = document.getElementById("emergency-alert");
  if (alarm) {
    const fresh = unheard(alarm.dataset.cases.split(","));
    if (fresh.length) {
      alarm.dataset.sounded = chime();
      markHeard(fresh);
    }
  }

  // ---- review queue: pick all, count the picked rows ------------------------------------------
  const pickAll = document.getElementById("pick-all");
  const counter = document.getElementById("chosen-count");
  if (pickAll) {
    const boxes = () => Array.from(document.querySelectorAll('input[name="case_ids"]'));
    const count = () => {
      const n = boxes().filter((b) => b.checked).length;
      if (counter) counter.textContent = counter.dataset.template.replace("{n}", n);
      boxes().forEach((b) => b.closest("tr").classList.toggle("picked", b.checked));
    };
    pickAll.addEventListener("change", () => { boxes().forEach((b) => { b.checked = pickAll.checked; }); count(); });
    boxes().forEach((b) => b.addEventListener("change", count));
  }
})();
