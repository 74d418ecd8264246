// The web admin's page, script and style (no inline script: the CSP allows only 'self').
export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Starling admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/admin/app.css"><script src="/admin/app.js" defer></script></head>
<body>
<header><h1>Starling admin</h1><span id="who"></span> <button id="logout" hidden>Log out</button></header>
<main>
<form id="login" hidden>
  <h2>Log in</h2>
  <label>JID <input name="jid" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
  <p id="login-error" class="error" role="alert"></p>
</form>
<div id="app" hidden>
  <section id="dashboard"><h2>Dashboard</h2>
    <dl><dt>Version</dt><dd id="version"></dd><dt>Uptime</dt><dd id="uptime"></dd>
    <dt>Online sessions</dt><dd id="online"></dd><dt>Connections</dt><dd id="connections"></dd>
    <dt>Messages received</dt><dd id="messages"></dd><dt>Message rate</dt><dd id="rate">n/a</dd></dl>
    <button id="refresh">Refresh</button></section>
  <section><h2>Users</h2>
    <form id="adduser"><input name="jid" placeholder="user@host" required> <input name="password" type="password" placeholder="password" required> <button type="submit">Add user</button></form>
    <table><thead><tr><th>JID</th><th>State</th><th>Online</th><th></th></tr></thead><tbody id="users"></tbody></table></section>
  <section><h2>Sessions</h2>
    <table><thead><tr><th>JID</th><th>Address</th><th>Presence</th><th></th></tr></thead><tbody id="sessions"></tbody></table></section>
  <section id="rooms-section"><h2>Rooms</h2>
    <table><thead><tr><th>Room</th><th>Occupants</th></tr></thead><tbody id="rooms"></tbody></table>
    <p id="rooms-note"></p></section>
  <section><h2>Announcement</h2>
    <form id="announce"><input name="body" placeholder="message to everyone online" required> <button type="submit">Send</button></form></section>
  <p id="status" role="status"></p>
</div>
</main></body></html>
`;

export const CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#222}header{display:flex;gap:1em;align-items:center;background:#24415e;color:#fff;padding:.5em 1em}
header h1{font-size:1.2em;margin:0}main{padding:1em;max-width:60em}section{margin-bottom:1.5em}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3em;text-align:left}.error{color:#a00}dl{display:grid;grid-template-columns:10em 1fr}label{display:block;margin:.4em 0}
`;

export const SCRIPT = `'use strict';
const $ = (s) => document.querySelector(s);
let last = null;
async function api(command, args) {
  const res = await fetch('/admin/api/run/' + encodeURIComponent(command), {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Starling-Admin': '1' },
    body: JSON.stringify(args || {}),
  });
  const data = await res.json();
  if (res.status === 401) { show(false); throw new Error('logged out'); }
  if (!res.ok) throw new Error(data.error ? data.error.message : res.statusText);
  return data;
}
function show(loggedIn, who) {
  $('#login').hidden = loggedIn; $('#app').hidden = !loggedIn; $('#logout').hidden = !loggedIn;
  $('#who').textContent = loggedIn ? who : '';
}
function say(text) { $('#status').textContent = text; }
function cell(tr, text) { const td = document.createElement('td'); td.textContent = text; tr.appendChild(td); return td; }
function button(td, label, fn) { const b = document.createElement('button'); b.textContent = label; b.addEventListener('click', fn); td.appendChild(b); }
function duration(s) { const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60); return (d ? d + 'd ' : '') + h + 'h ' + m + 'm ' + (s % 60) + 's'; }
async function refresh() {
  const [status, users, sessions] = await Promise.all([api('server.status'), api('user.list'), api('session.list')]);
  $('#version').textContent = status.version;
  $('#uptime').textContent = duration(status.uptimeSeconds);
  $('#online').textContent = String(sessions.sessions.length);
  $('#connections').textContent = String(status.connections);
  // The message rate between two refreshes, from the metrics module (when it is loaded).
  try {
    const m = await api('metrics.summary', { host: $('#who').textContent.split('@')[1] });
    $('#messages').textContent = String(m.messagesReceived);
    const now = Date.parse(m.at);
    if (last && now > last.at) $('#rate').textContent = ((m.messagesReceived - last.n) / ((now - last.at) / 60000)).toFixed(1) + ' per minute';
    last = { at: now, n: m.messagesReceived };
  } catch (e) { $('#messages').textContent = 'n/a (metrics module not loaded)'; }
  const ub = $('#users'); ub.replaceChildren();
  for (const u of users.users) {
    const tr = document.createElement('tr'); tr.dataset.jid = u.jid;
    cell(tr, u.jid); cell(tr, u.disabled ? 'disabled' : 'active'); cell(tr, String(u.online || 0));
    const td = cell(tr, '');
    button(td, u.disabled ? 'Enable' : 'Disable', () => act(u.disabled ? 'user.enable' : 'user.disable', { jid: u.jid }));
    button(td, 'Delete', () => { if (confirm('Delete ' + u.jid + '?')) act('user.delete', { jid: u.jid }); });
    ub.appendChild(tr);
  }
  await refreshRooms();
  const sb = $('#sessions'); sb.replaceChildren();
  for (const s of sessions.sessions) {
    const tr = document.createElement('tr'); tr.dataset.jid = s.jid;
    cell(tr, s.jid); cell(tr, s.ip); cell(tr, s.show || 'unavailable');
    button(cell(tr, ''), 'Kick', () => act('session.kick', { jid: s.jid }));
    sb.appendChild(tr);
  }
}
// Rooms come from the muc module's room.list command when it provides one.
async function refreshRooms() {
  const rb = $('#rooms'); rb.replaceChildren();
  const me = await (await fetch('/admin/api/me', { headers: { 'X-Starling-Admin': '1' } })).json();
  if (!me.commands.includes('room.list')) { $('#rooms-note').textContent = "room management needs the muc module's room commands"; return; }
  try {
    const r = await api('room.list', { host: $('#who').textContent.split('@')[1] });
    for (const room of r.rooms) {
      const tr = document.createElement('tr'); cell(tr, room.jid); cell(tr, String(room.occupants ?? ''));
      rb.appendChild(tr);
    }
    $('#rooms-note').textContent = r.rooms.length ? '' : 'no rooms';
  } catch (e) { $('#rooms-note').textContent = 'room management is not available (' + e.message + ')'; }
}
async function act(command, args) {
  try { await api(command, args); say(command + ': done'); await refresh(); } catch (e) { say(command + ': ' + e.message); }
}
$('#login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const res = await fetch('/admin/api/login', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-Starling-Admin': '1' }, body: JSON.stringify({ jid: f.get('jid'), password: f.get('password') }) });
  const data = await res.json();
  if (!res.ok) { $('#login-error').textContent = data.error.message; return; }
  $('#login-error').textContent = '';
  show(true, data.jid); await refresh();
});
$('#logout').addEventListener('click', async () => { await fetch('/admin/api/logout', { method: 'POST', headers: { 'X-Starling-Admin': '1' } }); show(false); });
$('#refresh').addEventListener('click', () => refresh().catch((e) => say(e.message)));
$('#adduser').addEventListener('submit', (ev) => { ev.preventDefault(); const f = new FormData(ev.target); ev.target.reset(); act('user.add', { jid: f.get('jid'), password: f.get('password') }); });
$('#announce').addEventListener('submit', (ev) => { ev.preventDefault(); const f = new FormData(ev.target); ev.target.reset(); act('message.announce', { body: f.get('body') }); });
fetch('/admin/api/me', { headers: { 'X-Starling-Admin': '1' } }).then(async (r) => {
  const me = r.ok ? await r.json() : { jid: null };
  if (me.jid) { show(true, me.jid); await refresh(); } else show(false);
});
`;
