// Follows a run on its page: appends log lines as they arrive over server-sent events and, when the
// run's state changes, swaps in the server-rendered live part (graph, jobs, gates). No framework: this is all.
const log = document.getElementById('log');
if (log && log.dataset.follow === '1') {
  const url = new URL(log.dataset.events, location.href);
  url.searchParams.set('after', log.dataset.cursor);
  url.searchParams.set('version', document.getElementById('live')?.dataset.version ?? '');
  const events = new EventSource(url);
  events.addEventListener('log', (e) => {
    const l = JSON.parse(e.data);
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    const span = document.createElement('span');
    span.className = `ln ${l.stream}`;
    span.dataset.id = l.id;
    const where = [l.job, l.host].filter(Boolean).join(' ');
    if (where) {
      const b = document.createElement('b');
      b.textContent = `[${where}]`;
      span.append(b, ' ');
    }
    span.append(l.line); // text, never markup
    log.append(span, '\n');
    if (atBottom) log.scrollTop = log.scrollHeight;
  });
  let latest = 0;
  events.addEventListener('state', async () => {
    // Leave the page alone while someone is typing a rejection reason; the next change brings it up to date.
    const active = document.activeElement;
    if (active && active.tagName === 'INPUT' && active.value) return;
    // Changes can come faster than fetches return: only the answer to the newest request is shown.
    const mine = ++latest;
    const res = await fetch(`${location.pathname}/live`, { credentials: 'same-origin' });
    // Sent to the sign-in page (the session ended): show it rather than swapping it into this one.
    if (res.redirected) return location.reload();
    if (!res.ok || mine !== latest) return;
    const text = await res.text();
    if (mine !== latest) return;
    const tpl = document.createElement('template');
    tpl.innerHTML = text;
    document.getElementById('live')?.replaceWith(tpl.content);
  });
  events.addEventListener('end', () => {
    events.close();
    log.dataset.follow = '0';
  });
}
