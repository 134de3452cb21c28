import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { PACKAGE_ROOT } from '../../knowledge/index.js';
import { registerKnowledgeCommands } from './knowledge-commands.js';
import { registerSearchCommand } from './search-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerAskCommand } from './ask-command.js';
import { registerGenerateCommand } from './generate-command.js';
import { registerRetrieveCommand } from './retrieve-command.js';
import { registerIndexCommand } from './index-command.js';
import { registerEvalCommand } from './eval-command.js';
import { registerModelCommand } from './model-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerStoreCommand } from './store-command.js';
import { reportError, type GlobalOptions } from './cli-context.js';

const program = new Command('galen')
  .description('Galen: a medical question-answering server with cited, retrieval-grounded answers')
  .option('--data <dir>', 'data directory for the store and indexes (env GALEN_DATA_DIR, default ./data)')
  .option('--config <file>', 'JSON config file (env GALEN_CONFIG)')
  .option('--json', 'print JSON instead of text', false)
  .option('--create', 'make a new store where --data names none (otherwise only ingest and serve create one)', false)
  .version((JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version, '-V, --version')
  .showHelpAfterError()
  .exitOverride();

const globals = () => program.opts<GlobalOptions>();
registerServeCommand(program, globals);
registerAskCommand(program, globals);
registerKnowledgeCommands(program, globals);
registerSearchCommand(program, globals);
registerRetrieveCommand(program, globals);
registerIndexCommand(program, globals);
registerEvalCommand(program, globals);
registerGenerateCommand(program, globals);
registerKeysCommand(program, globals);
registerStoreCommand(program, globals);
registerModelCommand(program, globals);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(error, Boolean(program.opts<GlobalOptions>().json));
  }
}
