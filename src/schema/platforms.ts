import { check, integer, jsonb, pgTable, serial, text, varchar } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { timestamps } from './_common.js';
import { publicRead, serviceRoleAll } from './_rls.js';

export const PLATFORM_NAMES = ['instagram', 'tiktok', 'youtube'] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];

// The one rule for a platform name: the table's CHECK and every input schema read it, so a name the
// TypeScript checks accept is one the database stores, and a change to the rule reaches both.
export const PLATFORM_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const PLATFORM_NAME_MESSAGE = 'a platform name: lower-case letters, digits and _';
export const platformNameSchema = z
  .string()
  .max(50, 'at most 50 characters')
  .regex(PLATFORM_NAME_PATTERN, PLATFORM_NAME_MESSAGE);

export const socialPlatforms = pgTable(
  'social_platforms',
  {
    id: serial('id').primaryKey(),
    name: varchar('name', { length: 50 }).notNull().unique('social_platforms_name_key'),
    displayName: varchar('display_name', { length: 100 }).notNull(),
    apiVersion: varchar('api_version', { length: 20 }),
    rateLimits: jsonb('rate_limits').$type<Record<string, unknown>>(),
    supportedContentTypes: text('supported_content_types').array().notNull().default(sql`'{}'::text[]`),
    /** NULL: no limit of its own. */
    maxCaptionLength: integer('max_caption_length'),
    /** NULL: no limit of its own (the caption length still bounds it). */
    maxHashtags: integer('max_hashtags'),
    ...timestamps,
  },
  (t) => [
    check('social_platforms_name_format', sql`${t.name} ~ '${sql.raw(PLATFORM_NAME_PATTERN.source)}'`),
    check('social_platforms_max_caption_length_positive', sql`${t.maxCaptionLength} > 0`),
    check('social_platforms_max_hashtags_nonnegative', sql`${t.maxHashtags} >= 0`),
    publicRead('social_platforms'),
    serviceRoleAll('social_platforms'),
  ],
);

export const selectPlatformSchema = createSelectSchema(socialPlatforms);
export const insertPlatformSchema = createInsertSchema(socialPlatforms, {
  name: (s) => s.regex(PLATFORM_NAME_PATTERN, PLATFORM_NAME_MESSAGE),
  maxCaptionLength: (s) => s.int().positive(),
  maxHashtags: (s) => s.int().nonnegative(),
});

export type SocialPlatform = typeof socialPlatforms.$inferSelect;
export type NewSocialPlatform = typeof socialPlatforms.$inferInsert;
