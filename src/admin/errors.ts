// The one error type of admin commands: a machine-readable code (used as the REST error code and mapped to an HTTP
// status and a CLI exit code). Its name is 'AdminError' so the CLI's reporter prints it like the older user errors.
export type CommandErrorCode =
  | 'invalid-argument'    // bad or missing argument (HTTP 400, exit 2)
  | 'unauthorized'        // no or bad credentials (HTTP 401)
  | 'forbidden'           // credentials lack the permission (HTTP 403)
  | 'not-found'           // no such user, session, room, command (HTTP 404)
  | 'conflict'            // exists already (HTTP 409)
  | 'not-running'         // the command needs a running server (HTTP 503, exit 3)
  | 'unavailable'         // the module behind the command is not loaded (HTTP 503)
  | 'refused'             // e.g. an invalid new configuration on reload (HTTP 422)
  | 'failed';             // anything else (HTTP 500)

const HTTP_STATUS: Record<CommandErrorCode, number> = {
  'invalid-argument': 400, unauthorized: 401, forbidden: 403, 'not-found': 404, conflict: 409,
  'not-running': 503, unavailable: 503, refused: 422, failed: 500,
};

export class CommandError extends Error {
  constructor(readonly code: CommandErrorCode, message: string, readonly details?: string[]) {
    super(message);
    this.name = 'AdminError';
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  /** 2 for usage errors, 3 when the server is not running, 1 for everything else. */
  get exitCode(): number {
    if (this.code === 'invalid-argument') return 2;
    if (this.code === 'not-running') return 3;
    return 1;
  }

  toJSON(): { code: CommandErrorCode; message: string; details?: string[] } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isCommandErrorCode(s: unknown): s is CommandErrorCode {
  return typeof s === 'string' && s in HTTP_STATUS;
}

export function httpStatusOf(code: CommandErrorCode): number {
  return HTTP_STATUS[code];
}

/** Wraps anything thrown by a handler: CommandErrors pass, the older AdminError of users.ts keeps its exit code. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  const e = err as { name?: string; message?: string; exitCode?: number };
  if (e?.name === 'AdminError' && e.exitCode === 2) return new CommandError('invalid-argument', e.message ?? 'invalid argument');
  return new CommandError('failed', e?.message ?? String(err));
}
