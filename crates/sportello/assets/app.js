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

// A part of a page that updates by itself (the issuance steps, the applicant's screen) says
// what changed in `data-announce`; the page's polite live region reads it out, once per change.
document.addEventListener('htmx:afterSettle', () => {
  const text = document.querySelector('[data-announce]')?.getAttribute('data-announce');
  const announcer = document.querySelector('[data-announcer]');
  if (text && announcer && announcer.textContent !== text) {
    announcer.textContent = text;
  }
});
