// The admin socket's wire format: one JSON object per line each way.
//   -> {"id":1,"op":"catalogue"}                          <- {"id":1,"ok":true,"result":[CommandInfo...]}
//   -> {"id":2,"op":"run","command":"user.list","args":{}} <- {"id":2,"ok":true,"result":{...}}
//                                                         <- {"id":2,"ok":false,"error":{"code":"not-found","message":"..."}}
import path from 'node:path';
import type { LoadedConfig } from '../config/schema.js';
import type { CommandErrorCode } from './errors.js';

export type SocketRequest =
  | { id: number; op: 'catalogue' }
  | { id: number; op: 'run'; command: string; args?: unknown };

export type SocketResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: CommandErrorCode; message: string; details?: string[] } };

/** Longest line either side accepts. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** Where the admin socket of this configuration lives, or null when it is turned off. */
export function adminSocketPath(config: Pick<LoadedConfig, 'dataDir'> & { admin?: { socket?: string | false } }): string | null {
  const s = config.admin?.socket;
  if (s === false) return null;
  return path.resolve(config.dataDir, s ?? 'admin.sock');
}

/** Splits a byte stream into lines; calls onLine for each complete one and onOverflow past the limit. */
export function lineReader(onLine: (line: string) => void, onOverflow: () => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onLine(line);
    }
    if (buf.length > MAX_LINE_BYTES) {
      buf = '';
      onOverflow();
    }
  };
}
