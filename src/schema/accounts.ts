import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, pgTable, primaryKey, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { authUsers } from 'drizzle-orm/supabase';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { fromTrigger, timestamps } from './_common.js';
import { authoredBySelf, serviceRoleAll, workspaceRead, workspaceWrite } from './_rls.js';
import { socialPlatforms } from './platforms.js';
import { workspaces } from './workspaces.js';

/** The brand's own account on a platform: what posts are published from and what followers are counted on. */
export const socialAccounts = pgTable(
  'social_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /**
     * Who connected it; NULL once their user is deleted: the brand's rows outlive the staff who made them
     * (deleting a user used to delete everything they had written).
     */
    userId: uuid('user_id').references(() => authUsers.id, { onDelete: 'set null' }),
    platformId: integer('platform_id')
      .notNull()
      .references(() => socialPlatforms.id),
    handle: varchar('handle', { length: 100 }).notNull(),
    platformAccountId: varchar('platform_account_id', { length: 100 }).notNull(),
    displayName: varchar('display_name', { length: 150 }),
    followerCount: integer('follower_count').notNull().default(0),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    unique('social_accounts_platform_account_key').on(t.platformId, t.platformAccountId),
    // RLS filters every read by workspace.
    index('idx_social_accounts_workspace').on(t.workspaceId, t.platformId),
    // ON DELETE CASCADE from auth.users.
    index('idx_social_accounts_user').on(t.userId),
    check('social_accounts_follower_count_nonnegative', sql`${t.followerCount} >= 0`),
    check('social_accounts_handle_not_blank', sql`btrim(${t.handle}) <> ''`),
    workspaceRead('social_accounts', t.workspaceId),
    // Connecting, editing and deactivating accounts is an admin's job.
    ...workspaceWrite('social_accounts', t.workspaceId, 'admin', authoredBySelf(t.userId)),
    serviceRoleAll('social_accounts'),
  ],
);

/** One row per account per day: the follower count engagement rates of that day divide by. */
export const accountFollowerHistory = pgTable(
  'account_follower_history',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => socialAccounts.id, { onDelete: 'cascade' }),
    /** The account's workspace (filled from the account by a trigger when not given). */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' })
      .$defaultFn(fromTrigger),
    recordedOn: date('recorded_on').notNull(),
    followerCount: integer('follower_count').notNull(),
  },
  (t) => [
    primaryKey({ name: 'account_follower_history_pkey', columns: [t.accountId, t.recordedOn] }),
    check('account_follower_history_follower_count_nonnegative', sql`${t.followerCount} >= 0`),
    workspaceRead('account_follower_history', t.workspaceId),
    serviceRoleAll('account_follower_history'),
  ],
);

export const selectAccountSchema = createSelectSchema(socialAccounts);
export const insertAccountSchema = createInsertSchema(socialAccounts, {
  handle: (s) => s.trim().min(1, 'must not be blank').max(100),
  platformAccountId: (s) => s.min(1).max(100),
  followerCount: (s) => s.int().nonnegative(),
});
export const insertFollowerHistorySchema = createInsertSchema(accountFollowerHistory, {
  followerCount: (s) => s.int().nonnegative(),
});

export type SocialAccount = typeof socialAccounts.$inferSelect;
export type NewSocialAccount = typeof socialAccounts.$inferInsert;
export type AccountFollowerHistory = typeof accountFollowerHistory.$inferSelect;
