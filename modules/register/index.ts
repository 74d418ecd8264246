// XEP-0077 In-Band Registration: new accounts before authentication (off unless the module is
// enabled), password changes and account deletion afterwards.
import { z } from 'zod';
import { defineModule, el, type ModuleContext } from '../../src/api/index.js';
import { registerAccountOps } from './account.js';
import { NS_FEATURE, NS_REGISTER } from './ns.js';
import { registerPreAuth } from './preauth.js';
import { RegistrationLimiter } from './ratelimit.js';
import { passwordRules, usernameRules } from './rules.js';

const options = z.object({
  /** Let unauthenticated clients create accounts (the stream feature and the pre-auth IQs). */
  allowRegistration: z.boolean().default(true),
  allowPasswordChange: z.boolean().default(true),
  allowCancel: z.boolean().default(true),
  /** Allow registration and password changes on unencrypted streams (XEP-0077 §10 advises against it). */
  allowInsecure: z.boolean().default(false),
  instructions: z.string().max(1000).default('Choose a username and password for an account on this server.'),
  username: usernameRules,
  password: passwordRules,
  /** At most `registrations` new accounts per client IP address within `windowSeconds`. */
  rateLimit: z.object({
    registrations: z.number().int().positive().default(3),
    windowSeconds: z.number().int().positive().default(600),
  }).strict().prefault({}),
}).strict();

export default defineModule({
  name: 'register',
  description: 'In-band registration, password change and account deletion (XEP-0077); not enabled by default',
  xeps: [{ xep: 77, version: '2.4', status: 'complete', note: 'no CAPTCHA (XEP-0158) or web redirect' }],
  options,
  setup(ctx: ModuleContext<z.infer<typeof options>>) {
    const opts = ctx.options;
    ctx.addFeature(NS_REGISTER);
    registerAccountOps(ctx, opts);
    if (!opts.allowRegistration) return;

    const limiter = new RegistrationLimiter(opts.rateLimit.registrations, opts.rateLimit.windowSeconds * 1000);
    ctx.timer(opts.rateLimit.windowSeconds * 1000, () => limiter.sweep(), { repeat: true });
    registerPreAuth(ctx, opts, limiter);

    // §8: the stream feature, only where registration would be accepted.
    ctx.hook('stream-features', ({ session, features, stage }) => {
      if (stage === 'pre-auth' && (session.secure || opts.allowInsecure)) features.cnode(el('register', { xmlns: NS_FEATURE }));
    });
  },
});
