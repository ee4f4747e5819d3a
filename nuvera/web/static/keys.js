// Signing keys in the browser: generate an RSA key pair with WebCrypto (the private key is downloaded and never
// sent anywhere), or check a pasted public key with the server's rules. Also the create wizard's steps.
"use strict";

(function () {
  const CHECK_URL = "/app/settings/platform/api-applications/public-key-check";
  const PRIVATE_KEY = /PRIVATE KEY/i;

  function pem(label, buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    const lines = btoa(binary).match(/.{1,64}/g).join("\n");
    return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
  }

  function slug(text) {
    return (text || "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  }

  function stamp() {
    return new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  }

  function download(text, filename) {
    const url = URL.createObjectURL(new Blob([text], { type: "application/x-pem-file" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // Per chooser: the generated private key, kept only so "Download again" works until the form is done.
  const privateKeys = new WeakMap();

  function parts(chooser) {
    return {
      hidden: chooser.querySelector("[data-public-key]"),
      result: chooser.querySelector("[data-key-result]"),
      error: chooser.querySelector("[data-key-error]"),
      warning: chooser.querySelector("[data-private-key-warning]"),
      pasted: chooser.querySelector("[data-pem]"),
      status: chooser.querySelector("[data-generate-status]"),
      again: chooser.querySelector("[data-download-again]"),
      source: () => chooser.querySelector("[data-source]:checked").value,
    };
  }

  function reset(chooser) {
    const p = parts(chooser);
    p.hidden.value = "";
    p.result.hidden = true;
    p.error.hidden = true;
  }

  function accept(chooser, publicPem, check) {
    const p = parts(chooser);
    p.hidden.value = publicPem;
    p.error.hidden = true;
    p.result.querySelector("[data-key-fingerprint]").textContent = check.fingerprint;
    p.result.querySelector("[data-key-bits]").textContent = String(check.bits);
    p.result.hidden = false;
  }

  function refuse(chooser, failure) {
    const p = parts(chooser);
    p.hidden.value = "";
    p.result.hidden = true;
    window.NuveraApp.showError(p.error, failure);
  }

  async function check(chooser, publicPem) {
    const result = await window.NuveraApp.callApi("POST", CHECK_URL, { publicKey: publicPem });
    if (!result.ok) {
      refuse(chooser, result.failure);
      return false;
    }
    accept(chooser, publicPem, result.data);
    return true;
  }

  function filename(chooser) {
    const source = chooser.dataset.nameFrom ? document.querySelector(chooser.dataset.nameFrom)?.value : "";
    const name = slug(source || chooser.dataset.appName || "application") || "application";
    return `nuvera-${name}-private-key-${stamp()}.pem`;
  }

  async function generate(chooser, button) {
    const p = parts(chooser);
    reset(chooser);
    if (!window.crypto || !window.crypto.subtle) {
      refuse(chooser, {
        detail: "This browser cannot generate keys here (WebCrypto needs HTTPS). Paste a public key instead.",
        errors: [],
      });
      return;
    }
    const bits = Number(chooser.querySelector("[data-bits]").value);
    button.disabled = true;
    p.status.textContent = `Generating a ${bits}-bit RSA key pair in your browser…`;
    try {
      const pair = await window.crypto.subtle.generateKey(
        { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        true,
        ["sign", "verify"],
      );
      const publicPem = pem("PUBLIC KEY", await window.crypto.subtle.exportKey("spki", pair.publicKey));
      const privatePem = pem("PRIVATE KEY", await window.crypto.subtle.exportKey("pkcs8", pair.privateKey));
      if (!(await check(chooser, publicPem))) {
        p.status.textContent = "";
        return;
      }
      const name = filename(chooser);
      privateKeys.set(chooser, { pem: privatePem, name });
      download(privatePem, name);
      chooser.querySelector("[data-download-name]").textContent = name;
      p.again.hidden = false;
      p.status.textContent = "Private key downloaded. Store it in your secret manager: Nuvera never sees it and cannot recover it.";
    } catch (error) {
      refuse(chooser, { detail: `Key generation failed: ${error && error.message ? error.message : error}`, errors: [] });
      p.status.textContent = "";
    } finally {
      button.disabled = false;
    }
  }

  function setUp(chooser) {
    const p = parts(chooser);
    chooser.querySelectorAll("[data-source]").forEach((radio) => {
      radio.setAttribute("data-skip", "");
      radio.addEventListener("change", () => {
        chooser.querySelectorAll("[data-panel]").forEach((panel) => { panel.hidden = panel.dataset.panel !== p.source(); });
        privateKeys.delete(chooser);
        p.again.hidden = true;
        p.status.textContent = "";
        reset(chooser);
      });
    });
    chooser.querySelector("[data-generate]").addEventListener("click", (event) => generate(chooser, event.currentTarget));
    chooser.querySelector("[data-redownload]").addEventListener("click", () => {
      const kept = privateKeys.get(chooser);
      if (kept) download(kept.pem, kept.name);
    });
    p.pasted.addEventListener("input", () => {
      if (!p.pasted.value.trim()) {
        // Emptied: forget any checked key, but keep a private-key warning in view.
        p.hidden.value = "";
        p.result.hidden = true;
        return;
      }
      reset(chooser);
      if (PRIVATE_KEY.test(p.pasted.value)) {
        // Refused here, before any request: a private key must not travel to Nuvera, not even to be refused.
        // The warning has its own box, which nothing on this page hides again: checking a public key afterwards
        // (or any other message) must not make the advice about the exposed private key disappear.
        p.pasted.value = "";
        p.hidden.value = "";
        p.result.hidden = true;
        p.warning.hidden = false;
        p.warning.scrollIntoView({ block: "nearest" });
      }
    });
    chooser.querySelector("[data-check]").addEventListener("click", () => {
      if (p.pasted.value.trim()) check(chooser, p.pasted.value.trim());
      else refuse(chooser, { detail: "Paste a public key first.", errors: [] });
    });
  }

  // Before a form that needs a key is sent: a checked key, or check the pasted one now.
  async function ensure(chooser) {
    const p = parts(chooser);
    if (p.hidden.value) return true;
    if (p.source() === "paste" && p.pasted.value.trim()) return check(chooser, p.pasted.value.trim());
    refuse(chooser, {
      detail: p.source() === "paste" ? "Paste a public key first." : "Generate a key pair first.",
      errors: [],
    });
    return false;
  }

  function forget(chooser) {
    privateKeys.delete(chooser);
  }

  document.querySelectorAll("[data-keychooser]").forEach(setUp);
  window.NuveraKeys = { ensure, forget };

  // --- the create wizard ----------------------------------------------------------------------------------------
  const wizard = document.querySelector("[data-wizard]");
  if (!wizard) return;
  const steps = [...wizard.querySelectorAll("[data-step]")];
  const markers = [...wizard.querySelectorAll("[data-step-marker]")];
  let current = 0;

  function show(index) {
    current = index;
    steps.forEach((step, i) => { step.hidden = i !== index; });
    markers.forEach((marker, i) => {
      marker.classList.toggle("done", i < index);
      if (i === index) marker.setAttribute("aria-current", "step");
      else marker.removeAttribute("aria-current");
    });
    steps[index].querySelector("input:not([type=hidden]), button")?.focus();
  }

  async function valid(index) {
    if (index === 0) {
      const name = wizard.querySelector("[data-name]");
      const text = name.value.trim();
      name.setCustomValidity(text.length >= 1 && text.length <= 100 ? "" : "Enter a name of 1 to 100 characters.");
      return name.reportValidity();
    }
    if (index === 1) return ensure(wizard.querySelector("[data-keychooser]"));
    return true;
  }

  wizard.querySelector("[data-keychooser]").dataset.nameFrom = "#app-name";
  wizard.addEventListener("click", async (event) => {
    if (event.target.closest("[data-step-next]")) {
      if (await valid(current)) show(current + 1);
    } else if (event.target.closest("[data-step-back]")) {
      show(current - 1);
    }
  });
  // Enter in the name field goes to the next step instead of submitting the whole form.
  wizard.querySelector("[data-name]").addEventListener("keydown", async (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      if (await valid(0)) show(1);
    }
  });
})();
