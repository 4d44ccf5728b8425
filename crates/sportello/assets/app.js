// Sportello's own script: small on purpose; pages work without it except for htmx updates.

// Every htmx request carries the CSRF token that the layout puts in <meta name="csrf-token">,
// so partial updates pass the same CSRF check as ordinary form posts. Listening on the
// document (events bubble up to it) works whether this file loads in <head> or at the end.
document.addEventListener('htmx:configRequest', (event) => {
  const token = document.querySelector('meta[name="csrf-token"]')?.content;
  if (token) {
    event.detail.headers['X-CSRF-Token'] = token;
  }
});
