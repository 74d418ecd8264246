// Rooms on disk: one JSON record per room in a map store (owner key below), plus the service's secret
// for occupant ids. The owner key is not a valid localpart, so purging an account never touches it.
import { randomBytes } from 'node:crypto';
import type { KeyValueStore, MapStore } from '../../src/api/index.js';
import { roomConfigSchema, type RoomRecord } from './types.js';

const ROOMS = '@rooms';
const SECRET = '@secret';

export class RoomStore {
  constructor(private readonly rooms: MapStore, private readonly meta: KeyValueStore) {}

  async loadAll(): Promise<Map<string, RoomRecord>> {
    const out = new Map<string, RoomRecord>();
    for (const [name, raw] of await this.rooms.getAll(ROOMS)) {
      const r = raw as RoomRecord;
      // Configs written by older versions get the new fields' defaults.
      out.set(name, { ...r, config: roomConfigSchema.parse({ ...roomConfigSchema.parse({}), ...r.config }) });
    }
    return out;
  }

  save(name: string, record: RoomRecord): Promise<void> {
    return this.rooms.set(ROOMS, name, record);
  }

  remove(name: string): Promise<void> {
    return this.rooms.set(ROOMS, name, null);
  }

  /** A random secret made once per service, for XEP-0421 occupant ids that survive restarts. */
  async secret(): Promise<string> {
    const have = (await this.meta.get(SECRET)) as string | null;
    if (have) return have;
    const made = randomBytes(32).toString('base64');
    await this.meta.set(SECRET, made);
    return made;
  }
}
