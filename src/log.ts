// Structured logging: pino (ARCHITECTURE.md §B7, 2.6 µs per line; a disabled level costs ~3 ns).
// Sessions get child loggers ({ sid, ip, jid }); passwords and message bodies are never logged at info.
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LogOptions {
  level: LogLevel;
  format: 'json' | 'pretty';
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A short single-line format for people at a terminal: "12:00:01 INFO  c2s: message {k=v}". */
function prettyLine(line: string): string {
  const rec = JSON.parse(line) as Record<string, unknown>;
  const { level, time, msg, pid: _pid, hostname: _hn, module, ...rest } = rec;
  const t = new Date(Number(time)).toISOString().slice(11, 19);
  const extras = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  const lvl = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  return `${t} ${lvl} ${module ? `${String(module)}: ` : ''}${String(msg ?? '')}${extras ? `  {${extras}}` : ''}\n`;
}

export function createLogger(opts: LogOptions, destination: NodeJS.WritableStream = process.stderr): Logger {
  if (opts.format === 'json') {
    return pino({ level: opts.level, base: undefined }, destination as unknown as pino.DestinationStream);
  }
  const stream = { write: (line: string) => { destination.write(prettyLine(line)); } };
  return pino({ level: opts.level, base: undefined }, stream);
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
