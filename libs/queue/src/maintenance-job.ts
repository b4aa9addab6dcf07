/**
 * The worker's periodic maintenance (sweeps, roll-ups, retention) as BullMQ job schedulers: one job per
 * period for the whole fleet, taken by whichever worker is free, instead of a timer in every worker.
 * The scheduler id is the task's name.
 */
export const MAINTENANCE_QUEUE = 'maintenance';
