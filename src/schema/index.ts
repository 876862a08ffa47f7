export * from './platforms.js';
export * from './accounts.js';
export * from './templates.js';
export * from './posts.js';
export * from './engagement.js';
export * from './analytics.js';
export * from './trends.js';
export * from './conversions.js';
