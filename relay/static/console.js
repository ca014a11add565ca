// The console's one script (served by the relay: the pages allow no inline script): a button
// with data-copy="<field id>" copies that field's value, or leaves it selected for Ctrl+C.
for (const button of document.querySelectorAll('[data-copy]')) {
  button.addEventListener('click', () => {
    const field = document.getElementById(button.dataset.copy);
    field.select();
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
    if (!copied && navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(() => { button.textContent = 'Copié'; });
      return;
    }
    button.textContent = copied ? 'Copié' : 'Sélectionné : Ctrl+C';
  });
}
