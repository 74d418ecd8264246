// WAL checkpoints on a worker thread (src/storage/sqlite/checkpointer.ts): the main connection only checkpoints
// past 100 000 pages, so rows reach the database file before close only if the worker copies them there.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStorage } from '../../src/storage/index.js';
import type { SqliteStorage } from '../../src/storage/sqlite/driver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sqlite: WAL checkpoints on a worker thread', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'starling-ckpt-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies committed pages into the database file while the server writes, and stops with close()', async () => {
    const path = join(dir, 'db.sqlite');
    const storage = await openStorage({ driver: 'sqlite', path }) as SqliteStorage;
    const archive = storage.open('localhost', 'mam', 'archive');
    const before = statSync(path).size;
    const xml = `<message><body>${'x'.repeat(1000)}</body></message>`;
    for (let batch = 0; batch < 20; batch++) {
      await archive.appendMany(Array.from({ length: 100 }, (_, i) => ({ user: `u${i % 10}`, when: Date.now(), with: 'b@localhost', kind: 'chat', xml })));
    }
    // 2 000 rows of 1 KB: in the WAL, not yet in the database file (no inline checkpoint below 100 000 pages).
    expect(statSync(path).size - before).to.be.below(256 * 1024);
    expect(statSync(`${path}-wal`).size).to.be.above(2_000_000);
    const deadline = Date.now() + 8000;
    while (statSync(path).size - before < 2_000_000 && Date.now() < deadline) await sleep(100);
    expect(storage.checkpointsOnWorker).to.equal(true);
    expect(statSync(path).size - before, 'the worker checkpointed the WAL into the file').to.be.above(2_000_000);
    expect((await archive.find('u1', { limit: 1000 })).items).to.have.length(200);

    await storage.close();
    expect(storage.checkpointsOnWorker).to.equal(false);
    // Closing the last connection checkpoints and removes the WAL.
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0, 'nothing left in the WAL').to.equal(0);
  });

  it('starts no thread for a database opened and closed within a second (CLI commands)', async () => {
    const storage = await openStorage({ driver: 'sqlite', path: join(dir, 'short.sqlite') }) as SqliteStorage;
    await storage.accounts.list('localhost');
    await storage.close();
    await sleep(1200);
    expect(storage.checkpointsOnWorker).to.equal(false);
  });
});
