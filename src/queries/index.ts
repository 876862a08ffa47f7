// Typed query functions: each takes the database first, `fn(db, params)`.
export {};
export * from './engagement/index.js';
export * from './webhooks.js';
export * from './dashboard.js';
export * from './conversions.js';
export * from './trends.js';
export * from './maintenance.js';
export * from './security.js';
export * from './advisor.js';
export * from './analytics.js';
export * from './workspaces.js';
export * from './publishing/index.js';
