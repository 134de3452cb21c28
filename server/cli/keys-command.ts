import type { Command } from 'commander';
import { Option } from 'commander';
import { ApiKeyStore, ROLES, type Role } from '../security/index.js';
import { configFrom, output, type GlobalOptions } from './cli-context.js';
import { table } from './knowledge-commands.js';

/** `galen keys create|list|revoke`: API keys for the HTTP server, in `<dataDir>/access.sqlite`. */
export function registerKeysCommand(program: Command, globals: () => GlobalOptions): void {
  const keys = program.command('keys').description('Create, list and revoke API keys (needed whenever Galen listens beyond loopback)');

  keys
    .command('create')
    .description('Create an API key and print it once (only its hash is kept)')
    .addOption(
      new Option('-r, --role <role>', 'clinician: ask and retrieve; admin: also administer the knowledge base')
        .choices([...ROLES])
        .makeOptionMandatory(),
    )
    .option('-l, --label <text>', 'who or what the key is for', '')
    .action((opts: { role: Role; label: string }) =>
      withKeys(globals(), (store, g) => {
        const created = store.create({ role: opts.role, label: opts.label });
        output(g, created, () =>
          [
            `Created ${created.role} key ${created.id}${created.label ? ` (${created.label})` : ''}:`,
            '',
            `  ${created.key}`,
            '',
            'Store it now: it cannot be shown again. Send it as "Authorization: Bearer <key>".',
          ].join('\n'),
        );
      }),
    );

  keys
    .command('list')
    .description('List API keys (ids, roles, labels; never the keys themselves)')
    .action(() =>
      withKeys(globals(), (store, g) => {
        const list = store.list();
        output(g, { keys: list }, () =>
          list.length === 0
            ? 'No API keys yet: `galen keys create --role clinician` makes one.'
            : table(
                ['id', 'role', 'label', 'created', 'revoked'],
                list.map((k) => [k.id, k.role, k.label || '-', k.createdAt, k.revokedAt ?? '-']),
              ),
        );
      }),
    );

  keys
    .command('revoke')
    .description('Revoke an API key by id: the server refuses it from the next request')
    .argument('<id>', 'key id, as `galen keys list` shows it')
    .action((id: string) =>
      withKeys(globals(), (store, g) => {
        const revoked = store.revoke(id);
        output(g, revoked, () => `Revoked ${revoked.role} key ${revoked.id} (at ${revoked.revokedAt}).`);
      }),
    );
}

/** Runs `fn` on the key store of the configured data directory (a refused operation is reported by `reportError`, exit 2). */
function withKeys(g: GlobalOptions, fn: (store: ApiKeyStore, g: GlobalOptions) => void): void {
  const store = ApiKeyStore.open({ dataDir: configFrom(g).dataDir });
  try {
    fn(store, g);
  } finally {
    store.close();
  }
}
