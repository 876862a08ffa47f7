import { describe, expect, it } from 'vitest';
import { permissionHint } from '../src/cli/target.js';

// What the CLI tells a person after "permission denied": advice they can follow where they are.
describe('permissionHint', () => {
  it('on a Supabase platform schema, does not tell a project role to grant itself what only the platform may', () => {
    const hint = permissionHint('permission denied for schema auth');
    expect(hint).toMatch(/belongs to the platform on Supabase/);
    expect(hint).toMatch(/upgrade @jmefit\/social-db/);
    expect(hint).not.toMatch(/^As its owner/m);
  });

  it('on a schema of the project, names the grant its owner runs', () => {
    expect(permissionHint('permission denied for schema public')).toMatch(/As its owner, run: GRANT USAGE, CREATE ON SCHEMA public TO <role>;/);
  });

  it('on ownership, sends the person to the role that ran the migrations', () => {
    expect(permissionHint('must be owner of table engagement_events')).toMatch(/only its owner may do/);
  });
});
