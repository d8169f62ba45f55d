// A small rich-text box for replies: bold, italic, lists and links.
// Without JavaScript the plain textarea stays; the server sanitizes either way.
(function () {
  "use strict";
  document.querySelectorAll("[data-rich-editor]").forEach(function (editor) {
    var form = editor.closest("form");
    var area = editor.querySelector("[contenteditable]");
    var textarea = form.querySelector("textarea");
    var hidden = form.querySelector("input[name=body_html]");
    editor.hidden = false;
    textarea.hidden = true;
    editor.querySelectorAll("[data-command]").forEach(function (button) {
      button.addEventListener("click", function () {
        var command = button.getAttribute("data-command");
        var value = null;
        if (command === "createLink") {
          value = window.prompt(button.getAttribute("data-prompt") || "https://");
          if (!value || !/^(https?:|mailto:)/i.test(value)) { return; }
        }
        area.focus();
        document.execCommand(command, false, value);
      });
    });
    area.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function () {
      hidden.value = area.innerText.trim() ? area.innerHTML : "";
      textarea.value = area.innerText;
    });
  });
})();
