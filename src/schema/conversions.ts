import { sql } from 'drizzle-orm';
import { check, index, integer, interval, numeric, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { fromTrigger, oneOf } from './_common.js';
import { serviceRoleAll, workspaceRead } from './_rls.js';
import { socialPosts } from './posts.js';
import { workspaces } from './workspaces.js';
import { EVENT_TYPES } from './engagement.js';

export const CONVERSION_TYPES = ['email_signup', 'trial_start', 'subscription', 'purchase', 'app_install'] as const;
export type ConversionType = (typeof CONVERSION_TYPES)[number];

export const socialConversions = pgTable(
  'social_conversions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // SET NULL, not CASCADE: revenue that happened stays counted when a post is deleted.
    postId: uuid('post_id').references(() => socialPosts.id, { onDelete: 'set null' }),
    /** The brand credited; filled from the post when not given, and kept when the post is deleted. */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' })
      .$defaultFn(fromTrigger),
    platformUserId: varchar('platform_user_id', { length: 100 }),

    firstInteractionType: varchar('first_interaction_type', { length: 20 }),
    firstInteractionAt: timestamp('first_interaction_at', { withTimezone: true }),
    conversionType: varchar('conversion_type', { length: 50 }).notNull(),
    conversionValue: numeric('conversion_value', { precision: 10, scale: 2, mode: 'number' }).notNull().default(0),
    conversionAt: timestamp('conversion_at', { withTimezone: true }).notNull().defaultNow(),

    // Derived, never typed in by hand.
    timeToConversion: interval('time_to_conversion').generatedAlwaysAs(
      sql`conversion_at - first_interaction_at`,
    ),
    touchpoints: integer('touchpoints'),

    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('idx_social_conversions_post').on(t.postId, t.conversionAt),
    // Funnels of one workspace over a time window.
    index('idx_social_conversions_workspace').on(t.workspaceId, t.conversionAt),
    check('social_conversions_conversion_type_valid', oneOf(t.conversionType, CONVERSION_TYPES)),
    check('social_conversions_first_interaction_type_valid', oneOf(t.firstInteractionType, EVENT_TYPES)),
    check('social_conversions_conversion_value_nonnegative', sql`${t.conversionValue} >= 0`),
    check('social_conversions_touchpoints_nonnegative', sql`${t.touchpoints} >= 0`),
    check(
      'social_conversions_interaction_before_conversion',
      sql`${t.firstInteractionAt} IS NULL OR ${t.firstInteractionAt} <= ${t.conversionAt}`,
    ),
    // Conversions and funnels are an analyst's.
    workspaceRead('social_conversions', t.workspaceId, 'analyst'),
    serviceRoleAll('social_conversions'),
  ],
);

export const selectConversionSchema = createSelectSchema(socialConversions);
/** Whole cents at most: conversion_value is numeric(10,2), which would round anything finer silently. */
const money = (s: z.ZodNumber) =>
  s
    .nonnegative()
    .max(99_999_999.99)
    .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, 'at most 2 decimal places');

const conversionColumns = createInsertSchema(socialConversions, {
  conversionType: z.enum(CONVERSION_TYPES),
  firstInteractionType: z.enum(EVENT_TYPES).nullish(),
  conversionValue: money,
  touchpoints: (s) => s.int().nonnegative(),
});

export const insertConversionSchema = conversionColumns.superRefine((c, ctx) => {
  if (c.firstInteractionAt && c.conversionAt && c.firstInteractionAt > c.conversionAt) {
    ctx.addIssue({ code: 'custom', path: ['firstInteractionAt'], message: 'first interaction is after the conversion' });
  }
});

/** A Date, or an ISO 8601 timestamp with a time zone (JSON callers). */
const instant = z.union([z.date(), z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone' })])
  .transform((v) => (typeof v === 'string' ? new Date(v) : v))
  .refine((d) => !Number.isNaN(d.getTime()), 'is not a valid date');

/**
 * Input of `recordConversion`: a conversion attributed to a post. `touchpoints` and the first
 * interaction (type and time, given together or not at all) are filled from the user's recorded
 * events on that post when left out; `conversionAt` defaults to now.
 */
export const recordConversionInputSchema = z
  .object({
    postId: z.uuid('must be a UUID'),
    platformUserId: z.string().trim().min(1, 'must not be blank').max(100, 'at most 100 characters').nullish(),
    conversionType: z.enum(CONVERSION_TYPES),
    conversionValue: money(z.number()).default(0),
    conversionAt: instant.optional(),
    firstInteractionType: z.enum(EVENT_TYPES).nullish(),
    firstInteractionAt: instant.nullish(),
    touchpoints: z.number().int('must be a whole number').nonnegative().nullish(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.firstInteractionType == null) !== (c.firstInteractionAt == null)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.firstInteractionType == null ? 'firstInteractionType' : 'firstInteractionAt'],
        message: 'give firstInteractionType and firstInteractionAt together, or neither (then both come from the events)',
      });
    }
    // Refinements run even when a field failed its own check: look only at valid dates.
    const conversionAt = c.conversionAt instanceof Date ? c.conversionAt : undefined;
    const firstAt = c.firstInteractionAt instanceof Date ? c.firstInteractionAt : undefined;
    // Five minutes of clock skew between the caller and the database is tolerated.
    if (conversionAt && conversionAt.getTime() > Date.now() + 5 * 60_000) {
      ctx.addIssue({ code: 'custom', path: ['conversionAt'], message: 'is in the future' });
    }
    if (firstAt && firstAt > (conversionAt ?? new Date())) {
      ctx.addIssue({ code: 'custom', path: ['firstInteractionAt'], message: 'first interaction is after the conversion' });
    }
  });
export type RecordConversionInput = z.input<typeof recordConversionInputSchema>;

export type SocialConversion = typeof socialConversions.$inferSelect;
export type NewSocialConversion = typeof socialConversions.$inferInsert;
