// Small enhancements; every page works without this file.
// The incident list's search filters as you type: the form is submitted after a pause.
(function () {
  "use strict";
  var search = document.getElementById("q");
  if (!search || !search.form) { return; }
  var timer = null;
  var last = search.value;
  search.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (search.value === last) { return; }
      last = search.value;
      var params = new URLSearchParams(new FormData(search.form));
      params.delete("page");
      window.location.assign("/?" + params.toString() + "#q");
    }, 400);
  });
  if (window.location.hash === "#q") {
    search.focus();
    var end = search.value.length;
    search.setSelectionRange(end, end);
  }
})();
