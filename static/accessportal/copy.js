// Copy buttons: <button data-copy-target="ID" hidden> copies the text of #ID to the clipboard and says so in
// the [data-copy-status="ID"] live region. Shown only where JavaScript runs (hidden otherwise).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-copy-target]")) {
    const id = button.dataset.copyTarget;
    const source = document.getElementById(id);
    const status = document.querySelector(`[data-copy-status="${id}"]`);
    button.hidden = false;
    button.addEventListener("click", async () => {
      let said = "Copied to the clipboard.";
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
      } catch {
        window.getSelection().selectAllChildren(source); // no clipboard access: select it for Ctrl+C
        said = "Selected: press Ctrl+C (⌘C) to copy.";
      }
      button.textContent = said.startsWith("Copied") ? "Copied" : "Copy";
      if (status) status.textContent = said;
    });
  }
});
