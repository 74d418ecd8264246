// Serves the Converse.js release bundle straight from node_modules (the npm package's dist/ directory): only files
// inside it, only known asset types, with ETags, and gzip for text assets (compressed once, kept in memory).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import { HttpError, sendHttp, type HttpRequest } from '../../src/api/index.js';

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.json', '.svg']);

/** The dist/ directory of the installed converse.js package. */
export function converseDist(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('converse.js/dist/converse.min.js'));
}

export function converseVersion(dist: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export class AssetServer {
  #gzipped = new Map<string, { etag: string; data: Buffer }>();

  constructor(private readonly root: string) {}

  async serve(req: HttpRequest, res: ServerResponse, rel: string): Promise<void> {
    const file = this.#resolve(rel);
    const type = TYPES[path.extname(file).toLowerCase()];
    if (!type) throw new HttpError(404, 'no such file');
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      throw new HttpError(404, 'no such file');
    }
    if (!stat.isFile()) throw new HttpError(404, 'no such file');
    const etag = `"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
    const headers: Record<string, string> = { ETag: etag, 'Cache-Control': 'public, max-age=3600', Vary: 'Accept-Encoding' };
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.end();
      return;
    }
    const gzip = COMPRESSIBLE.has(path.extname(file)) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) {
      let cached = this.#gzipped.get(file);
      if (!cached || cached.etag !== etag) {
        cached = { etag, data: gzipSync(await fs.promises.readFile(file)) };
        this.#gzipped.set(file, cached);
      }
      sendHttp(res, 200, cached.data, type, { ...headers, 'Content-Encoding': 'gzip' });
      return;
    }
    sendHttp(res, 200, await fs.promises.readFile(file), type, headers);
  }

  /** The file for a request path below dist/; anything that would leave it is a 404. Empty segments are dropped:
   *  Converse.js builds some URLs as `${assets_path}/file` while webpack needs assets_path to end in a slash. */
  #resolve(rel: string): string {
    const segs = rel.split('/').filter((seg) => seg !== '');
    if (segs.length === 0 || rel.includes('\0') || rel.includes('\\') || segs.some((seg) => seg === '..' || seg === '.')) {
      throw new HttpError(404, 'no such file');
    }
    const file = path.resolve(this.root, ...segs);
    if (!file.startsWith(this.root + path.sep)) throw new HttpError(404, 'no such file');
    return file;
  }
}
