import BetterSqlite3 from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_STORE_FILE, apiKeyId, ApiKeyStore, SecurityError } from '../../server/security/index.js';
import { galen } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('ApiKeyStore', () => {
  it('keeps only a hash of each key and checks keys against it', () => {
    const dataDir = join(tmp.dir, 'store');
    const keys = ApiKeyStore.open({ dataDir });
    const admin = keys.create({ role: 'admin', label: 'ops' });
    const clinician = keys.create({ role: 'clinician' });
    expect(admin.key).toMatch(/^galen_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyId(admin.key)).toBe(admin.id);
    expect(admin.key).not.toBe(clinician.key);

    expect(keys.check(admin.key)).toMatchObject({ status: 'valid', key: { id: admin.id, role: 'admin', label: 'ops' } });
    expect(keys.check(clinician.key)).toMatchObject({ status: 'valid', key: { role: 'clinician' } });
    expect(keys.check(`${admin.key.slice(0, -1)}${admin.key.endsWith('x') ? 'y' : 'x'}`)).toEqual({ status: 'invalid' });
    expect(keys.check('galen_')).toEqual({ status: 'invalid' });
    expect(keys.check('')).toEqual({ status: 'invalid' });
    keys.close();

    // The secret part is nowhere in the database file.
    const bytes = readFileSync(join(dataDir, ACCESS_STORE_FILE)).toString('latin1');
    const db = new BetterSqlite3(join(dataDir, ACCESS_STORE_FILE), { readonly: true });
    const rows = db.prepare('SELECT id, hash FROM api_keys ORDER BY created_at').all() as Array<{ id: string; hash: Buffer }>;
    db.close();
    expect(rows.map((r) => r.hash.length)).toEqual([32, 32]);
    expect(bytes).not.toContain(admin.key.slice(-43, -23));
  });

  it('revokes keys by id, and refuses unknown ids and roles', () => {
    const keys = ApiKeyStore.open({ dataDir: join(tmp.dir, 'revoke') });
    const k = keys.create({ role: 'clinician' });
    expect(keys.countActive()).toBe(1);
    const revoked = keys.revoke(k.id);
    expect(revoked.revokedAt).not.toBeNull();
    expect(keys.revoke(k.id).revokedAt).toBe(revoked.revokedAt);
    expect(keys.check(k.key)).toMatchObject({ status: 'revoked', key: { id: k.id } });
    expect(keys.countActive()).toBe(0);
    expect(() => keys.revoke('000000000000')).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND' }));
    expect(() => keys.create({ role: 'root' as 'admin' })).toThrow(SecurityError);
    keys.close();
  });
});

describe('galen keys', () => {
  it('creates, lists and revokes keys', () => {
    const data = join(tmp.dir, 'cli');
    const created = galen(['keys', 'create', '--role', 'admin', '--label', 'night shift', '--data', data]);
    expect(created.status).toBe(0);
    const key = /galen_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/.exec(created.stdout)?.[0];
    expect(key).toBeDefined();
    expect(created.stdout).toMatch(/cannot be shown again/);

    const asJson = galen(['keys', 'create', '--role', 'clinician', '--data', data, '--json']);
    const clinician = JSON.parse(asJson.stdout) as { id: string; key: string; role: string };
    expect(clinician.role).toBe('clinician');

    const listed = galen(['keys', 'list', '--data', data, '--json']);
    const { keys } = JSON.parse(listed.stdout) as { keys: Array<{ id: string; role: string; label: string; revokedAt: string | null }> };
    expect(keys.map((k) => [k.id, k.role, k.label])).toEqual([
      [apiKeyId(key!), 'admin', 'night shift'],
      [clinician.id, 'clinician', ''],
    ]);
    expect(listed.stdout).not.toContain(key!);
    const table = galen(['keys', 'list', '--data', data]).stdout;
    expect(table).toMatch(/night shift/);
    expect(table).not.toContain(clinician.key);

    expect(galen(['keys', 'revoke', clinician.id, '--data', data]).status).toBe(0);
    const store = ApiKeyStore.open({ dataDir: data });
    expect(store.check(clinician.key).status).toBe('revoked');
    expect(store.check(key!).status).toBe('valid');
    store.close();
  });

  it('refuses unknown ids and roles with status 2 and a message', () => {
    const data = join(tmp.dir, 'cli-errors');
    const unknown = galen(['keys', 'revoke', 'feedfacecafe', '--data', data, '--json']);
    expect(unknown.status).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'KEY_NOT_FOUND' } });
    const badRole = galen(['keys', 'create', '--role', 'root', '--data', data]);
    expect(badRole.status).toBe(2);
    expect(badRole.stderr).toMatch(/Allowed choices are clinician, admin/);
    expect(galen(['keys', 'create', '--data', data]).status).toBe(2);
  });
});
