// XEP-0199 XMPP Ping: the server answers pings addressed to it.
import { z } from 'zod';
import { defineModule } from '../../src/api/index.js';

const NS_PING = 'urn:xmpp:ping';

export default defineModule({
  name: 'ping',
  description: 'Answers XMPP pings to the server (XEP-0199)',
  xeps: [{ xep: 199, version: '2.0.1', status: 'complete' }],
  options: z.object({}).strict(),
  setup(ctx) {
    ctx.addFeature(NS_PING);
    ctx.iq.get('host', NS_PING, 'ping', () => undefined);
  },
});
