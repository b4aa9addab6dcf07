/** Injection token of the process's Redis command connection (BusModule). */
export const REDIS = Symbol('HERALD_REDIS');
