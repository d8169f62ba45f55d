/* Tree pages: load a node's children the first time it is opened. */
(function () {
  "use strict";
  function load(details) {
    if (details.dataset.loaded) { return; }
    details.dataset.loaded = "1";
    var target = details.querySelector(".atrium-node-children");
    fetch(details.dataset.src, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) { target.innerHTML = html; })
      .catch(function () {
        details.dataset.loaded = "";
        target.textContent = target.dataset.error || "⚠";
      });
  }
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.tagName === "DETAILS" && details.open && details.dataset.src) { load(details); }
  }, true);
})();
