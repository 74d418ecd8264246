// XEP-0092 Software Version: name and version of the server; the OS only when the admin opts in
// (it helps attackers pick exploits, SECURITY-NOTES.md).
import os from 'node:os';
import { z } from 'zod';
import { defineModule, el } from '../../src/api/index.js';

const NS_VERSION = 'jabber:iq:version';

export default defineModule({
  name: 'version',
  description: 'Tells clients the server software and version (XEP-0092)',
  xeps: [{ xep: 92, version: '1.1', status: 'complete' }],
  options: z.object({
    /** Also report the operating system. */
    showOs: z.boolean().default(false),
  }).strict(),
  setup(ctx) {
    ctx.addFeature(NS_VERSION);
    ctx.iq.get('host', NS_VERSION, 'query', () =>
      el('query', { xmlns: NS_VERSION },
        el('name', null, ctx.server.name),
        el('version', null, ctx.server.version),
        ctx.options.showOs ? el('os', null, `${os.type()} ${os.release()}`) : null));
  },
});
