import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, numeric, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core';
import { authUsers } from 'drizzle-orm/supabase';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { timestamps } from './_common.js';
import { authoredBySelf, serviceRoleAll, workspaceRead, workspaceWrite } from './_rls.js';
import { socialPlatforms } from './platforms.js';
import { workspaces } from './workspaces.js';

export const contentTemplates = pgTable(
  'content_templates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The brand it belongs to (the design had no owner, so templates could not be private to a brand). */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /**
     * Author; NULL once their user is deleted: the brand's rows outlive the staff who made them
     * (deleting a user used to delete everything they had written).
     */
    userId: uuid('user_id').references(() => authUsers.id, { onDelete: 'set null' }),
    name: varchar('name', { length: 100 }).notNull(),
    category: varchar('category', { length: 50 }),
    platformId: integer('platform_id').references(() => socialPlatforms.id),

    captionTemplate: text('caption_template'),
    hashtagSets: text('hashtag_sets').array().notNull().default(sql`'{}'::text[]`),
    imageStylePrompts: text('image_style_prompts').array().notNull().default(sql`'{}'::text[]`),

    // Recomputed from the posts that used the template (see the dashboard queries); never typed in.
    // numeric(10,6): an engagement rate can exceed 1 (more interactions than followers).
    avgEngagementRate: numeric('avg_engagement_rate', { precision: 10, scale: 6, mode: 'number' }),
    usageCount: integer('usage_count').notNull().default(0),
    successRate: numeric('success_rate', { precision: 5, scale: 4, mode: 'number' }),

    aiOptimized: boolean('ai_optimized').notNull().default(false),
    optimizationNotes: text('optimization_notes'),
    ...timestamps,
  },
  (t) => [
    index('idx_content_templates_workspace').on(t.workspaceId, t.category),
    // ON DELETE CASCADE from auth.users.
    index('idx_content_templates_user').on(t.userId),
    check('content_templates_usage_count_nonnegative', sql`${t.usageCount} >= 0`),
    check('content_templates_avg_engagement_rate_nonnegative', sql`${t.avgEngagementRate} >= 0`),
    check('content_templates_success_rate_range', sql`${t.successRate} BETWEEN 0 AND 1`),
    check('content_templates_name_not_blank', sql`btrim(${t.name}) <> ''`),
    workspaceRead('content_templates', t.workspaceId),
    ...workspaceWrite('content_templates', t.workspaceId, 'editor', authoredBySelf(t.userId)),
    serviceRoleAll('content_templates'),
  ],
);

export const selectTemplateSchema = createSelectSchema(contentTemplates);
export const insertTemplateSchema = createInsertSchema(contentTemplates, {
  name: (s) => s.trim().min(1, 'must not be blank').max(100),
  usageCount: (s) => s.int().nonnegative(),
  avgEngagementRate: (s) => s.nonnegative(),
  successRate: (s) => s.min(0).max(1),
});

export type ContentTemplate = typeof contentTemplates.$inferSelect;
export type NewContentTemplate = typeof contentTemplates.$inferInsert;
