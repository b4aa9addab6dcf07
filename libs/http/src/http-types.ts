import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * The few Express request/response members the API uses, typed here because @types/express is not a
 * dependency (express itself is untyped). Keep this to what the code needs.
 */
export interface HttpRequest extends IncomingMessage {
  method: string;
  path: string;
  body?: unknown;
  query: Record<string, unknown>;
  get(name: string): string | undefined;
}

export interface HttpResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
}

export type NextFunction = (err?: unknown) => void;
