import type { Command } from 'commander';
import { loadLanguageModel, type GenerationOptions } from '../../model/index.js';
import { configFrom, output, UsageError, type GlobalOptions } from './cli-context.js';

interface GenerateFlags {
  model?: string;
  prompt: string;
  maxTokens: string;
  temperature?: string;
  seed?: string;
  chat: boolean;
}

/** `galen generate`: one continuation from a model directory, streamed to stdout. */
export function registerGenerateCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('generate')
    .description('Run the generator model once on a prompt and print the continuation')
    .option('-m, --model <dir>', 'model directory (default: GALEN_MODEL)')
    .requiredOption('-p, --prompt <text>', 'prompt text (with --chat: the user message)')
    .option('--max-tokens <n>', 'most tokens to generate', '128')
    .option('--temperature <t>', 'sampling temperature; 0 = greedy (default: the model’s generation_config)')
    .option('--seed <s>', 'sampler seed, for a reproducible run')
    .option('--chat', "render the prompt with the model's chat template", false)
    .action(async (flags: GenerateFlags) => {
      const g = globals();
      const config = configFrom(g);
      const dir = flags.model ?? config.model.path;
      if (!dir) throw new UsageError('No model: pass --model <dir> or set GALEN_MODEL.');
      const options: GenerationOptions = { maxNewTokens: wholeNumber('--max-tokens', flags.maxTokens, 1) };
      if (flags.temperature !== undefined) options.temperature = number('--temperature', flags.temperature);
      if (flags.seed !== undefined) options.seed = wholeNumber('--seed', flags.seed, 0);

      const model = await loadLanguageModel(dir, {
        executionProvider: config.model.executionProvider,
        deviceId: config.model.cudaDeviceId,
        allowCpuFallback: config.model.allowCpuFallback,
      });
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        const stream = model.stream(flags.chat ? { messages: [{ role: 'user', content: flags.prompt }] } : flags.prompt, {
          ...options,
          signal: controller.signal,
        });
        for await (const piece of stream) if (!g.json) process.stdout.write(piece.text);
        const result = await stream.result;
        if (g.json) {
          output(
            g,
            {
              text: result.text,
              tokens: result.tokens,
              promptTokens: result.promptTokens,
              finishReason: result.finishReason,
              timeToFirstTokenMs: round(result.timeToFirstTokenMs),
              tokensPerSecond: round(result.tokensPerSecond),
              seed: result.seed,
              ...(result.truncated ? { truncated: result.truncated } : {}),
            },
            () => '',
          );
        } else {
          process.stdout.write('\n');
          process.stderr.write(
            `${result.tokens.length} tokens (${result.finishReason}), first after ${round(result.timeToFirstTokenMs)} ms, ${round(result.tokensPerSecond)} tokens/s` +
              `${result.truncated ? `; prompt cut by ${result.truncated.droppedTokens} tokens to fit the context` : ''}\n`,
          );
        }
      } finally {
        process.off('SIGINT', onSignal);
        await model.close();
      }
    });
}

function number(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

function wholeNumber(flag: string, raw: string, min: number): number {
  const n = number(flag, raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
