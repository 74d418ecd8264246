// JSON error answers of the REST API: {"error":{"code":"...","message":"..."}} with the matching status.
import type { ServerResponse } from 'node:http';
import { sendHttp, type CommandError } from '../../src/api/index.js';

export type RestErrorCode =
  | 'missing-token' | 'invalid-token' | 'token-expired' | 'insecure-transport' | 'invalid-json' | 'unsupported-media-type'
  | 'payload-too-large' | 'method-not-allowed' | CommandError['code'];

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendHttp(res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8', { 'Cache-Control': 'no-store', ...headers });
}

export function sendRestError(res: ServerResponse, status: number, code: RestErrorCode, message: string, extra: { details?: string[]; headers?: Record<string, string> } = {}): void {
  sendJson(res, status, { error: { code, message, ...(extra.details ? { details: extra.details } : {}) } }, extra.headers ?? {});
}
