// Publishing (issue 16, docs/publishing.md): scheduling in local time, claiming, outcomes,
// reconciliation, the worker loop, slots and the queue's health.
export * from './timezone.js';
export * from './errors.js';
export * from './claim.js';
export * from './outcome.js';
export * from './schedule.js';
export * from './slots.js';
export * from './queue.js';
export * from './worker.js';
