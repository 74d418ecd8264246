// XEP-0202 Entity Time: the server's UTC time (always reported with a +00:00 offset).
import { z } from 'zod';
import { defineModule, el } from '../../src/api/index.js';

const NS_TIME = 'urn:xmpp:time';

export default defineModule({
  name: 'time',
  description: "Tells clients the server's time (XEP-0202)",
  xeps: [{ xep: 202, version: '2.0', status: 'complete' }],
  options: z.object({}).strict(),
  setup(ctx) {
    ctx.addFeature(NS_TIME);
    ctx.iq.get('host', NS_TIME, 'time', () =>
      el('time', { xmlns: NS_TIME }, el('tzo', null, '+00:00'), el('utc', null, new Date().toISOString().replace(/\.\d+Z$/, 'Z'))));
  },
});
