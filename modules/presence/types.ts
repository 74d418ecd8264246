// The presence service, for modules that need to know whether a user is online or when they
// were last seen (last activity, push, MUC). Import types only; reach it with ctx.tryUse('presence').

export interface PresenceService {
  /** Whether any resource of the user has sent available presence. */
  isAvailable(user: string): boolean;
  /** When the user's last resource went unavailable, with the status text it gave, if any. */
  lastUnavailable(user: string): Promise<{ at: number; status?: string } | null>;
}

declare module '../../src/api/index.js' {
  interface Services {
    presence: PresenceService;
  }
}
