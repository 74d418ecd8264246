// A small web admin at /admin: administrators (admin.admins) log in with their XMPP password; the page then runs
// admin commands through /admin/api/run/<command> (the same registry and REST surface as /api/v1, with a session
// cookie instead of a token). Cookie: HttpOnly, SameSite=Strict, Secure on HTTPS; every API call must carry the
// X-Starling-Admin header (a cross-site form cannot set it), and the page has a strict CSP with no inline script.
import { z } from 'zod';
import { CommandError, defineModule, HttpError, sendHttp, type HttpRequest, type ModuleContext } from '../../src/api/index.js';
import { parseJid } from '../../src/jid.js';
import { CSS, PAGE, SCRIPT } from './page.js';
import { COOKIE, LoginFailures, WebSessions } from './sessions.js';
import type { ServerResponse } from 'node:http';

const options = z.object({
  /** Minutes a login lasts. */
  sessionMinutes: z.number().int().positive().default(60),
  /** Failed logins from one address before it is refused for `lockoutMinutes`. */
  maxFailedLogins: z.number().int().positive().default(10),
  lockoutMinutes: z.number().int().positive().default(15),
}).strict();

type Options = z.infer<typeof options>;

const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendHttp(res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8', { ...HEADERS, ...headers });
}
function fail(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message } });
}

async function readJson(req: HttpRequest): Promise<Record<string, unknown>> {
  const raw = await req.body(65_536);
  if (raw.length === 0) return {};
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* below */ }
  throw new HttpError(400, 'the body must be a JSON object');
}

export default defineModule({
  name: 'webadmin',
  description: 'Web admin at /admin for the configured administrators (log in with the XMPP password)',
  options,
  setup(ctx: ModuleContext<Options>) {
    const sessions = new WebSessions(ctx.options.sessionMinutes * 60_000);
    const failures = new LoginFailures(ctx.options.maxFailedLogins, ctx.options.lockoutMinutes * 60_000);
    ctx.timer(60_000, () => { sessions.sweep(); failures.sweep(); }, { repeat: true });

    ctx.http.route('GET', '/admin', (_req, res) => sendHttp(res, 200, PAGE, 'text/html; charset=utf-8', HEADERS));
    ctx.http.route('GET', '/admin/app.js', (_req, res) => sendHttp(res, 200, SCRIPT, 'text/javascript; charset=utf-8', HEADERS));
    ctx.http.route('GET', '/admin/app.css', (_req, res) => sendHttp(res, 200, CSS, 'text/css; charset=utf-8', HEADERS));

    /** Checks the CSRF header and the session; answers and returns null when they fail. */
    const authed = (req: HttpRequest, res: ServerResponse) => {
      if (req.headers['x-starling-admin'] !== '1') {
        fail(res, 403, 'forbidden', 'missing the X-Starling-Admin header');
        return null;
      }
      const s = sessions.get(req.headers.cookie);
      if (!s || !ctx.commands.isAdmin(s.session.jid)) {
        fail(res, 401, 'unauthorized', 'log in first');
        return null;
      }
      return s;
    };

    ctx.http.route('POST', '/admin/api/login', async (req, res) => {
      if (req.headers['x-starling-admin'] !== '1') return fail(res, 403, 'forbidden', 'missing the X-Starling-Admin header');
      if (!req.secure) return fail(res, 403, 'insecure-transport', 'log in over HTTPS');
      if (failures.blocked(req.remoteAddress)) return fail(res, 429, 'too-many-attempts', 'too many failed logins from your address; try again later');
      const body = await readJson(req);
      const jidText = typeof body.jid === 'string' ? body.jid : '';
      const password = typeof body.password === 'string' ? body.password : '';
      let bare: string;
      let local: string;
      try {
        const jid = parseJid(jidText);
        bare = jid.bare();
        local = jid.local;
        if (!local || jid.domain !== ctx.host) throw new Error('not a local account');
      } catch {
        return fail(res, 400, 'invalid-argument', `give the JID of an account on ${ctx.host}`);
      }
      const ok = await ctx.accounts.checkPassword(local, password);
      if (!ok || !ctx.commands.isAdmin(bare)) {
        failures.record(req.remoteAddress);
        ctx.log.warn({ ip: req.remoteAddress }, 'web admin login refused');
        return fail(res, 401, 'unauthorized', 'wrong JID or password, or not an administrator');
      }
      const id = sessions.create(bare);
      ctx.log.info({ admin: bare, ip: req.remoteAddress }, 'web admin login');
      const cookie = `${COOKIE}=${id}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${ctx.options.sessionMinutes * 60}${req.scheme === 'https' ? '; Secure' : ''}`;
      return json(res, 200, { jid: bare }, { 'Set-Cookie': cookie });
    });

    // Who is logged in ({"jid":null} when nobody): the page asks at load time.
    ctx.http.route('GET', '/admin/api/me', (req, res) => {
      const s = sessions.get(req.headers.cookie);
      const jid = s && ctx.commands.isAdmin(s.session.jid) ? s.session.jid : null;
      // The commands the page may offer (those of modules that are loaded, e.g. room.list from muc).
      json(res, 200, { jid, commands: jid ? ctx.commands.list().filter((c) => c.surfaces.includes('rest')).map((c) => c.name) : [] });
    });

    ctx.http.route('POST', '/admin/api/logout', (req, res) => {
      const s = authed(req, res);
      if (!s) return;
      sessions.drop(s.id);
      json(res, 200, { ok: true }, { 'Set-Cookie': `${COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0` });
    });

    ctx.http.route('POST', '/admin/api/run/*', async (req, res) => {
      const s = authed(req, res);
      if (!s) return;
      try {
        const result = await ctx.commands.run(req.subpath, await readJson(req), { via: 'web', actor: s.session.jid, scopes: ['*'] }, 'rest');
        ctx.log.info({ admin: s.session.jid, command: req.subpath }, 'web admin command');
        json(res, 200, result);
      } catch (err) {
        if (err instanceof CommandError) return json(res, err.httpStatus, { error: err.toJSON() });
        throw err;
      }
    });
  },
});
