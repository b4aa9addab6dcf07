import pino, { type Logger } from 'pino';
import type { HeraldConfig } from './config.js';

/** Structured JSON logs (pino). One root logger per process, children carry ids. */
export function createLogger(config: Pick<HeraldConfig, 'logLevel'>, name: string): Logger {
  return pino({ name, level: config.logLevel, base: { pid: process.pid, service: name } });
}
export type { Logger };
