// Nuvera web app: dialogs, forms that call the management API, the one-time API key dialog, permission grids.
// Plain script, no build step. Served by the application itself (no CDN).
"use strict";

(function () {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  // --- dialogs ------------------------------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.open);
      if (dialog) {
        dialog.querySelectorAll("[data-form-error]").forEach((box) => { box.hidden = true; });
        dialog.showModal();
      }
      return;
    }
    const closer = event.target.closest("[data-close]");
    if (closer) closer.closest("dialog")?.close();
  });

  // --- permission grids: a write permission selects and locks its read permission ------------------------------
  function syncPermissions(grid) {
    grid.querySelectorAll("input[data-requires]").forEach((write) => {
      const read = grid.querySelector(`input[value="${write.dataset.requires}"]`);
      if (!read) return;
      if (write.checked) read.checked = true;
      if (!write.disabled) read.disabled = write.checked;
      read.title = write.checked ? "Required by the write permission" : "";
      read.closest("label")?.classList.toggle("locked", write.checked);
    });
  }
  document.querySelectorAll("[data-permission-grid]").forEach((grid) => {
    syncPermissions(grid);
    grid.addEventListener("change", () => syncPermissions(grid));
  });

  // --- serialising a form to the management API's JSON --------------------------------------------------------
  function formJson(form) {
    const body = {};
    for (const el of form.elements) {
      if (!el.name || el.hasAttribute("data-skip") || el.type === "submit" || el.type === "button") continue;
      if (el.type === "checkbox" && el.hasAttribute("data-list")) {
        body[el.name] = body[el.name] || [];
        if (el.checked) body[el.name].push(el.value); // locked (disabled) read permissions count too
        continue;
      }
      if (el.disabled) continue;
      if (el.type === "radio") {
        if (el.checked) body[el.name] = el.value;
        continue;
      }
      let value = el.value;
      if (el.type === "datetime-local" && value) value = new Date(value).toISOString();
      if (el.type === "number") {
        body[el.name] = value === "" ? null : Number(value); // empty: back to the default
        continue;
      }
      if (el.name === "reason" && !value.trim()) continue; // optional for partners
      body[el.name] = value;
    }
    return body;
  }

  function problemText(problem, status) {
    if (status === 401) return { detail: "Your session has ended. Reload the page and sign in again.", errors: [] };
    if (!problem || typeof problem !== "object") return { detail: `The request failed (HTTP ${status}).`, errors: [] };
    return { detail: problem.detail || problem.title || `HTTP ${status}`, errors: problem.errors || [] };
  }

  function showError(box, failure) {
    if (!box) { window.alert(failure.detail); return; }
    box.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = failure.detail;
    box.append(strong);
    if (failure.errors.length) {
      const list = document.createElement("ul");
      list.className = "field-errors";
      for (const e of failure.errors) {
        const item = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = e.field;
        item.append(code, " " + e.message);
        list.append(item);
      }
      box.append(list);
    }
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  async function callApi(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": csrfToken(), accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (_) {
      return { ok: false, failure: { detail: "Nuvera could not be reached. Check your connection and retry.", errors: [] } };
    }
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) return { ok: false, failure: problemText(data, response.status) };
    return { ok: true, data };
  }

  // --- the one-time API key dialog --------------------------------------------------------------------------
  // The key exists only in this closure and the dialog's input while the dialog is open; it is never put in a URL,
  // storage or the page's HTML, so neither a reload nor the back button can show it again.
  function showApiKey(apiKey, next) {
    const dialog = document.querySelector("[data-key-dialog]");
    const input = dialog.querySelector("[data-key-value]");
    const ack = dialog.querySelector("[data-ack]");
    const done = dialog.querySelector("[data-done]");
    const status = dialog.querySelector("[data-copy-status]");
    input.value = apiKey;
    ack.checked = false;
    done.disabled = true;
    status.textContent = "";
    const finish = () => {
      input.value = "";
      dialog.close();
      window.location.assign(next);
    };
    ack.onchange = () => { done.disabled = !ack.checked; };
    done.onclick = finish;
    dialog.oncancel = (event) => { if (!ack.checked) event.preventDefault(); }; // Escape needs the acknowledgement
    dialog.querySelector("[data-copy]").onclick = async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        status.textContent = "Copied to the clipboard.";
      } catch (_) {
        input.select();
        status.textContent = "Press Ctrl+C (⌘C) to copy the selected key.";
      }
    };
    dialog.showModal();
    input.select();
  }

  // --- forms that call the management API -------------------------------------------------------------------
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    const errorBox = form.querySelector("[data-form-error]");
    if (errorBox) errorBox.hidden = true;
    const chooser = form.querySelector("[data-keychooser]");
    if (chooser && !(await window.NuveraKeys.ensure(chooser))) return;
    const [method, path] = form.dataset.api.split(" ");
    const buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach((b) => { b.disabled = true; });
    const result = await callApi(method, path, formJson(form));
    buttons.forEach((b) => { b.disabled = false; });
    if (!result.ok) {
      showError(errorBox, result.failure);
      return;
    }
    const data = result.data || {};
    const id = (data.application && data.application.id) || data.id || "";
    const next = (form.dataset.next || window.location.pathname).replace("{id}", encodeURIComponent(id));
    if (chooser) window.NuveraKeys.forget(chooser);
    if (data.apiKey) {
      form.closest("dialog")?.close();
      showApiKey(data.apiKey, next);
    } else {
      window.location.assign(next);
    }
  });

  // datetime-local inputs: only between now and the current end (in the viewer's local time).
  const localValue = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  document.querySelectorAll("input[type=datetime-local][data-max]").forEach((input) => {
    input.min = localValue(new Date());
    input.max = localValue(new Date(input.dataset.max));
  });

  window.NuveraApp = { callApi, showError };
})();
