// Writing an account's stored messages to a session that just became able to take them.
//
// Guarantee: a stored message is deleted only after it was written to a session that was still open and
// eligible (established, available, non-negative priority) right after the write. Runs for one account are
// serialised with each other and with storing, so two resources coming online together never both get a
// message: the first run takes the whole queue and the second finds it empty. A session that closes (or
// goes negative) during a run stops it; what it did not get stays stored for the next eligible presence.
// "Written" means handed to the connection: without stream management (XEP-0198) the server cannot know
// whether the client read the last bytes before the connection broke, the same as for live messages. If
// the server dies between writing a page and deleting it, that page is delivered again (at least once).
import type { ClientSession, ModuleContext } from '../../src/api/index.js';
import { parseStored } from './codec.js';
import type { OfflineQueue } from './queue.js';

type Log = ModuleContext<unknown>['log'];

/** May this session get messages for the bare JID now? (RFC 6121 §8.5.2.1.1: available, priority >= 0) */
export function isEligible(s: ClientSession): boolean {
  return s.state === 'established' && s.presence !== null && s.priority >= 0;
}

/** Delivers the queue page by page, oldest first; resolves with how many messages were written. */
export async function deliverStored(session: ClientSession, user: string, queue: OfflineQueue, pageSize: number, log: Log): Promise<number> {
  let written = 0;
  for (;;) {
    if (!isEligible(session)) return written;
    const items = await queue.oldest(user, pageSize);
    if (items.length === 0) return written;
    let through: number | undefined;
    for (const item of items) {
      if (!isEligible(session)) break;
      let stanza;
      try {
        stanza = parseStored(item.xml);
      } catch (err) {
        // A damaged row would otherwise block the queue for ever: log it and let it be deleted.
        log.error({ err, user, id: item.id }, 'dropping an offline message that cannot be read');
        through = item.when;
        continue;
      }
      session.send(stanza);
      // send() closes the stream when the client does not read (write buffer full): keep that message.
      if (session.state !== 'established') break;
      written++;
      through = item.when;
    }
    if (through !== undefined) await queue.deleteThrough(user, through);
    if (through !== items[items.length - 1]!.when || items.length < pageSize) return written;
    // Let the connection write out the page before the next one is read.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
