/* Remote selects: search the server as the user types (select2 4 with AJAX).
   Selects added later (FAB's search filters) are set up as they appear. */
(function ($) {
  "use strict";
  function setUp(select) {
    var $select = $(select);
    if ($select.data("select2")) { return; }
    $select.select2({
      theme: "bootstrap",
      width: "100%",
      allowClear: true,
      placeholder: $select.data("placeholder") || "",
      ajax: {
        url: $select.data("endpoint"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "", page: params.page || 1 }; },
        cache: true
      }
    });
  }
  function scan(root) {
    $(root).find("select.atrium-remote-select").addBack("select.atrium-remote-select").each(function () {
      setUp(this);
    });
  }
  $(function () {
    scan(document);
    new MutationObserver(function (mutations) {
      mutations.forEach(function (mutation) {
        mutation.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) { scan(node); }
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  });
})(jQuery);
