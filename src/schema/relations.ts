import { relations } from 'drizzle-orm';
import { socialPlatforms } from './platforms.js';
import { workspaceMembers, workspaces } from './workspaces.js';
import { accountFollowerHistory, socialAccounts } from './accounts.js';
import { contentTemplates } from './templates.js';
import { socialPosts } from './posts.js';
import { engagementEvents } from './engagement.js';
import { postAnalytics } from './analytics.js';
import { trendingTopics } from './trends.js';
import { socialConversions } from './conversions.js';
import { postConversionTotals, postLatestAnalytics } from './dashboard.js';

// Drizzle's relations for db.query.*, all here: a relation names the tables at both ends, so kept
// beside its table it made the table files import each other (accounts <-> posts <-> templates).
// Table files import only what their foreign keys reference.

export const workspacesRelations = relations(workspaces, ({ many }) => ({
  members: many(workspaceMembers),
  accounts: many(socialAccounts),
  templates: many(contentTemplates),
  posts: many(socialPosts),
}));

export const workspaceMembersRelations = relations(workspaceMembers, ({ one }) => ({
  workspace: one(workspaces, { fields: [workspaceMembers.workspaceId], references: [workspaces.id] }),
}));

export const socialAccountsRelations = relations(socialAccounts, ({ one, many }) => ({
  workspace: one(workspaces, { fields: [socialAccounts.workspaceId], references: [workspaces.id] }),
  platform: one(socialPlatforms, { fields: [socialAccounts.platformId], references: [socialPlatforms.id] }),
  followerHistory: many(accountFollowerHistory),
  posts: many(socialPosts),
}));

export const accountFollowerHistoryRelations = relations(accountFollowerHistory, ({ one }) => ({
  account: one(socialAccounts, { fields: [accountFollowerHistory.accountId], references: [socialAccounts.id] }),
}));

export const contentTemplatesRelations = relations(contentTemplates, ({ one, many }) => ({
  workspace: one(workspaces, { fields: [contentTemplates.workspaceId], references: [workspaces.id] }),
  platform: one(socialPlatforms, { fields: [contentTemplates.platformId], references: [socialPlatforms.id] }),
  posts: many(socialPosts),
}));

export const socialPostsRelations = relations(socialPosts, ({ one }) => ({
  workspace: one(workspaces, { fields: [socialPosts.workspaceId], references: [workspaces.id] }),
  platform: one(socialPlatforms, { fields: [socialPosts.platformId], references: [socialPlatforms.id] }),
  account: one(socialAccounts, { fields: [socialPosts.accountId], references: [socialAccounts.id] }),
  template: one(contentTemplates, { fields: [socialPosts.templateId], references: [contentTemplates.id] }),
}));

export const engagementEventsRelations = relations(engagementEvents, ({ one }) => ({
  post: one(socialPosts, { fields: [engagementEvents.postId], references: [socialPosts.id] }),
}));

export const postAnalyticsRelations = relations(postAnalytics, ({ one }) => ({
  post: one(socialPosts, { fields: [postAnalytics.postId], references: [socialPosts.id] }),
}));

export const trendingTopicsRelations = relations(trendingTopics, ({ one }) => ({
  platform: one(socialPlatforms, { fields: [trendingTopics.platformId], references: [socialPlatforms.id] }),
}));

export const socialConversionsRelations = relations(socialConversions, ({ one }) => ({
  post: one(socialPosts, { fields: [socialConversions.postId], references: [socialPosts.id] }),
}));

export const postLatestAnalyticsRelations = relations(postLatestAnalytics, ({ one }) => ({
  post: one(socialPosts, { fields: [postLatestAnalytics.postId], references: [socialPosts.id] }),
}));

export const postConversionTotalsRelations = relations(postConversionTotals, ({ one }) => ({
  post: one(socialPosts, { fields: [postConversionTotals.postId], references: [socialPosts.id] }),
}));
