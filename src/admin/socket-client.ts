// The CLI's side of the admin socket: null when no server listens there (the CLI then works offline).
import net from 'node:net';
import { CommandError, isCommandErrorCode } from './errors.js';
import { lineReader, type SocketResponse } from './socket-protocol.js';
import type { CommandInfo } from './types.js';

export class AdminClient {
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', lineReader((line) => this.#onLine(line), () => this.#fail(new Error('answer too long'))));
    sock.on('error', (e) => this.#fail(e));
    sock.on('close', () => this.#fail(new CommandError('not-running', 'the server closed the admin connection')));
  }

  /** Connects; null when nothing listens (no file, or a stale one). */
  static connect(file: string, timeoutMs = 5000): Promise<AdminClient | null> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(file);
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`the admin socket ${file} does not answer`)); }, timeoutMs);
      sock.once('connect', () => { clearTimeout(timer); sock.removeAllListeners('error'); resolve(new AdminClient(sock)); });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(null);
        else if (err.code === 'EACCES') reject(new CommandError('forbidden', `no permission to use the admin socket ${file} (run as the server's user)`));
        else reject(err);
      });
    });
  }

  #onLine(line: string): void {
    let r: SocketResponse;
    try {
      r = JSON.parse(line) as SocketResponse;
    } catch {
      return;
    }
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if (r.ok) p.resolve(r.result);
    else p.reject(new CommandError(isCommandErrorCode(r.error.code) ? r.error.code : 'failed', r.error.message, r.error.details));
  }

  #fail(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #request(req: { op: 'catalogue' } | { op: 'run'; command: string; args?: unknown }): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.sock.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  catalogue(): Promise<CommandInfo[]> {
    return this.#request({ op: 'catalogue' }) as Promise<CommandInfo[]>;
  }

  run(command: string, args: unknown): Promise<unknown> {
    return this.#request({ op: 'run', command, args });
  }

  close(): void {
    this.sock.end();
  }
}
