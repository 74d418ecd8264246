// The HTTP side of XEP-0363 on the shared listener: PUT to a signed slot URL stores the file, GET/HEAD
// serve it with its type, a safe Content-Disposition and caching headers, OPTIONS answers CORS
// preflights. Other methods get 405 from the listener.
import type { ServerResponse } from 'node:http';
import { HttpError, sendHttp, type HttpRequest } from '../../src/api/index.js';
import { FILE_ID, TooLarge, WrongSize, type FileMeta, type FileStore } from './files.js';
import type { UploadOptions } from './options.js';
import type { Slots } from './slots.js';

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, PUT, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Length',
  'Access-Control-Max-Age': '86400',
};

/** Types a browser may show inline; everything else is a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|text\/plain)$/i;

function disposition(meta: FileMeta): string {
  const kind = INLINE.test(meta.type) ? 'inline' : 'attachment';
  const ascii = meta.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(meta.name)}`;
}

export interface UploadHttpDeps {
  o: UploadOptions;
  slots: Slots;
  files: FileStore;
  /** A file was stored (counts against the owner's quota). */
  stored(meta: FileMeta): Promise<void>;
  /** A file expired and was removed. */
  expired(meta: FileMeta): Promise<void>;
}

function fileIdOf(req: HttpRequest): string {
  const id = req.subpath.split('/')[0] ?? '';
  if (!FILE_ID.test(id) || !req.subpath.includes('/')) throw new HttpError(404, 'no such file', CORS);
  return id;
}

export function uploadHandlers(d: UploadHttpDeps) {
  const put = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const id = fileIdOf(req);
    const slot = d.slots.take(id, req.query.get('e'), req.query.get('s'));
    if (slot === null) throw new HttpError(403, 'no such upload slot, or the URL is not the one handed out', CORS);
    if (slot === 'expired') throw new HttpError(403, 'the upload slot has expired; request a new one', CORS);
    const length = req.headers['content-length'];
    if (length === undefined || !/^[0-9]{1,15}$/.test(length)) throw new HttpError(411, 'Content-Length is required', CORS);
    if (Number(length) > slot.meta.size) throw new HttpError(413, `the slot is for ${slot.meta.size} bytes`, { ...CORS, Connection: 'close' });
    if (Number(length) !== slot.meta.size) throw new HttpError(400, `the slot is for ${slot.meta.size} bytes, not ${length}`, { ...CORS, Connection: 'close' });
    const type = req.headers['content-type'];
    if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== slot.meta.type.toLowerCase()) {
      throw new HttpError(400, `the slot is for Content-Type ${slot.meta.type}`, { ...CORS, Connection: 'close' });
    }
    const meta: FileMeta = { ...slot.meta, at: Date.now() };
    try {
      await d.files.write(meta, req.raw);
    } catch (err) {
      if (err instanceof TooLarge) throw new HttpError(413, err.message, { ...CORS, Connection: 'close' });
      if (err instanceof WrongSize) throw new HttpError(400, err.message, { ...CORS, Connection: 'close' });
      throw err;
    }
    await d.stored(meta);
    sendHttp(res, 201, 'Created\n', 'text/plain; charset=utf-8', CORS);
  };

  const get = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const id = fileIdOf(req);
    const meta = await d.files.meta(id);
    if (!meta) throw new HttpError(404, 'no such file', CORS);
    const left = meta.at + d.o.expireSeconds * 1000 - Date.now();
    if (left <= 0) {
      await d.files.remove(id);
      await d.expired(meta);
      throw new HttpError(404, 'no such file', CORS);
    }
    const etag = `"${meta.id}"`;
    const headers: Record<string, string> = {
      ...CORS,
      'Content-Type': meta.type,
      'Content-Length': String(meta.size),
      'Content-Disposition': disposition(meta),
      // The content never changes under this URL; it may be cached until the file expires.
      'Cache-Control': `public, max-age=${Math.max(0, Math.floor(left / 1000))}, immutable`,
      ETag: etag,
      'Last-Modified': new Date(meta.at).toUTCString(),
      // Never run uploaded HTML or SVG in our origin.
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag, 'Cache-Control': headers['Cache-Control']!, ...CORS });
      res.end();
      return;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = d.files.open(id);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const options = (_req: HttpRequest, res: ServerResponse): void => {
    res.writeHead(204, CORS);
    res.end();
  };

  return { put, get, options };
}
