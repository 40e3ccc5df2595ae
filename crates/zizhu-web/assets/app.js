/* zizhu: the little JavaScript the pages use. Every page works without it;
   it only saves a full reload on the import progress page and adds a print
   button. Written as ES5 so that old office browsers run it too. */
(function () {
  "use strict";

  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () { window.print(); });
  }

  var job = document.getElementById("job");
  if (!job || job.getAttribute("data-running") !== "1") { return; }
  var id = job.getAttribute("data-job");
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/imports/jobs/" + encodeURIComponent(id) + "/status");
    xhr.onload = function () {
      var s;
      try { s = JSON.parse(xhr.responseText); } catch (e) { s = null; }
      if (!s || xhr.status !== 200) { window.location.reload(); return; }
      if (s.state === "running") {
        var p = document.getElementById("job-phase");
        var t = document.getElementById("job-elapsed");
        if (p) { p.textContent = s.phase; }
        if (t) { t.textContent = s.elapsed; }
        window.setTimeout(poll, 1000);
      } else {
        // Finished or failed: the page itself shows the outcome.
        window.location.reload();
      }
    };
    xhr.onerror = function () { window.setTimeout(poll, 3000); };
    xhr.send();
  }
  window.setTimeout(poll, 1000);
})();
