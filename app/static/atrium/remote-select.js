/* Remote selects: search the server as the user types (select2 4 with AJAX). */
(function ($) {
  "use strict";
  function init(root) {
    $(root).find("select.atrium-remote-select").each(function () {
      var $select = $(this);
      if ($select.data("select2")) { return; }
      $select.select2({
        theme: "bootstrap",
        width: "100%",
        allowClear: true,
        placeholder: $select.data("placeholder") || "",
        minimumInputLength: 0,
        ajax: {
          url: $select.data("endpoint"),
          dataType: "json",
          delay: 250,
          data: function (params) { return { q: params.term || "", page: params.page || 1 }; },
          cache: true
        }
      });
    });
  }
  $(function () { init(document); });
})(jQuery);
