/* The console's list of meetings: create a meeting, copy one. Plain ES2017, no framework. */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("i18n").textContent);
  var CSRF = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var toast = document.getElementById("toast");
  var toastTimer = null;

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function show(message, kind) {
    toast.textContent = message;
    toast.className = "toast visible " + (kind || "ok");
    if (toastTimer) clearTimeout(toastTimer);
    if (kind !== "error") {
      toastTimer = setTimeout(function () { toast.classList.remove("visible"); }, 6000);
    }
  }

  function errorText(err) {
    if (err.code === "network") return T.error_network;
    var known = T.errors[err.code];
    var message = err.serverMessage || err.message || "";
    if (known) return fill(known, { message: message });
    return fill(T.error_generic, { message: message || err.code });
  }

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") opts.headers["X-CSRFToken"] = CSRF;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(
      function (response) {
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (!response.ok) {
            var err = new Error((data && data.message) || response.statusText);
            err.code = (data && data.error) || "http_" + response.status;
            err.serverMessage = data && data.message;
            throw err;
          }
          return data;
        });
      },
      function () {
        var err = new Error("network");
        err.code = "network";
        throw err;
      }
    );
  }

  // -- the settings form (the same fields as the console's 准备 tab) -------------------------

  function field(form, name) { return form.elements.namedItem(name); }

  function splitList(text) {
    return String(text).split(/[,，、;；\n]+/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s; });
  }

  function readSettings(form) {
    var thresholds = splitList(field(form, "thresholds").value).map(Number);
    var settings = {
      title: field(form, "title").value.trim(),
      expected: parseInt(field(form, "expected").value, 10),
      scale: field(form, "scale").value,
      aspects: splitList(field(form, "aspects").value),
      secret: field(form, "secret").value === "1",
      join_mode: field(form, "join_mode").value,
      quorum: parseFloat(field(form, "quorum").value),
      allow_change: field(form, "allow_change").checked,
      live_tallies: field(form, "live_tallies").checked,
      auto_close: field(form, "auto_close").checked
    };
    if (field(form, "rule_kind").value === "threshold") {
      if (!thresholds.length || thresholds.some(function (n) { return !isFinite(n); })) {
        var err = new Error(T.bad_thresholds);
        err.code = "local";
        throw err;
      }
      settings.rule = { kind: "threshold", thresholds: thresholds };
    } else {
      settings.rule = { kind: "majority", base: field(form, "rule_base").value };
    }
    if (field(form, "combine_kind").value === "weighted") {
      settings.combine = {
        kind: "weighted",
        weights: {
          member: Number(field(form, "weight_member").value),
          deputy: Number(field(form, "weight_deputy").value)
        }
      };
    } else {
      settings.combine = { kind: "members_only" };
    }
    if (!settings.aspects.length) delete settings.aspects;
    if (isNaN(settings.expected)) settings.expected = null;
    return settings;
  }

  // -- create ----------------------------------------------------------------------------------

  var form = document.getElementById("create-form");
  var createButton = document.getElementById("create");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity()) return;
    var settings;
    try {
      settings = readSettings(form);
    } catch (err) {
      show(err.message, "error");
      return;
    }
    createButton.disabled = true;
    show(T.working, "info");
    api("POST", "/api/meetings", settings).then(
      function (meeting) {
        show(fill(T.created, { title: meeting.title }));
        window.location.href = "/console/meetings/" + meeting.id + "#prepare";
      },
      function (err) {
        createButton.disabled = false;
        show(errorText(err), "error");
      }
    );
  });

  // -- copy ------------------------------------------------------------------------------------

  var dialog = document.getElementById("copy-dialog");
  var copyTitle = document.getElementById("copy-title");
  var copyForm = document.getElementById("copy-form");
  var copyFrom = null;

  function copy(id, title) {
    return api("POST", "/api/meetings/" + id + "/copy", { title: title }).then(
      function (meeting) {
        show(fill(T.copied, { title: meeting.title }));
        window.location.href = "/console/meetings/" + meeting.id + "#prepare";
      },
      function (err) { show(errorText(err), "error"); }
    );
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var title = fill(T.copy_title, { title: button.getAttribute("data-title") });
      copyFrom = button.getAttribute("data-id");
      if (dialog && typeof dialog.showModal === "function") {
        copyTitle.value = title;
        dialog.showModal();
        copyTitle.select();
      } else {
        var answer = window.prompt(T.copy_prompt, title);
        if (answer) copy(copyFrom, answer.trim());
      }
    });
  });

  if (dialog) {
    document.getElementById("copy-cancel").addEventListener("click", function () { dialog.close(); });
    copyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var title = copyTitle.value.trim();
      if (!title) { copyTitle.focus(); return; }
      dialog.close();
      copy(copyFrom, title);
    });
  }

  toast.addEventListener("click", function () { toast.classList.remove("visible"); });
})();
