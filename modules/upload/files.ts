// Uploaded files under <dataDir>/upload: the bytes in <id>, what we know about them in <id>.json. The id
// is ours (random, URL-safe); nothing a client sends becomes part of a path.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

export const FILE_ID = /^[A-Za-z0-9_-]{22}$/;

export interface FileMeta {
  id: string;
  owner: string;
  name: string;
  type: string;
  size: number;
  at: number;
}

export class TooLarge extends Error {}
export class WrongSize extends Error {}

export const newFileId = (): string => randomBytes(16).toString('base64url');

export class FileStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  #file(id: string, ext = ''): string {
    if (!FILE_ID.test(id)) throw new Error('bad file id');
    return path.join(this.dir, id + ext);
  }

  /** Writes exactly `meta.size` bytes from the stream, then publishes the file atomically. */
  async write(meta: FileMeta, body: Readable): Promise<void> {
    const part = this.#file(meta.id, '.part');
    let seen = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > meta.size) done(new TooLarge(`more than the ${meta.size} bytes announced`));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, fs.createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      if (seen !== meta.size) throw new WrongSize(`${seen} bytes received, ${meta.size} announced`);
      await fs.promises.writeFile(this.#file(meta.id, '.json'), JSON.stringify(meta), { mode: 0o600 });
      await fs.promises.rename(part, this.#file(meta.id));
    } catch (err) {
      await fs.promises.rm(part, { force: true });
      throw err;
    }
  }

  async meta(id: string): Promise<FileMeta | null> {
    if (!FILE_ID.test(id)) return null;
    try {
      const meta = JSON.parse(await fs.promises.readFile(this.#file(id, '.json'), 'utf8')) as FileMeta;
      await fs.promises.access(this.#file(id));
      return meta;
    } catch {
      return null;
    }
  }

  open(id: string): fs.ReadStream {
    return fs.createReadStream(this.#file(id));
  }

  async remove(id: string): Promise<void> {
    await fs.promises.rm(this.#file(id), { force: true });
    await fs.promises.rm(this.#file(id, '.json'), { force: true });
  }

  /** Every stored file's metadata (for expiry). Leftover partial files are removed. */
  async all(): Promise<FileMeta[]> {
    const out: FileMeta[] = [];
    for (const name of await fs.promises.readdir(this.dir)) {
      if (name.endsWith('.part')) {
        await fs.promises.rm(path.join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const meta = await this.meta(name.slice(0, -5));
      if (meta) out.push(meta);
    }
    return out;
  }
}
