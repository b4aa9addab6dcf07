import { z } from 'zod';

/** A duration in ms (0 allowed: "off" or "at once" where the reader says so). */
export const ms = (def: number) => z.coerce.number().int().nonnegative().default(def);
export const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
export const HOUR = 3_600_000;
