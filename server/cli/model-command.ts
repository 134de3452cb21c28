import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { buildModel, type BuildModelOptions, type BuildReport } from '../../model/index.js';
import { output, UsageError, type GlobalOptions } from './cli-context.js';

interface BuildFlags {
  from?: string;
  random: boolean;
  shape?: string;
  seed: string;
  tokenizer?: string;
  lora: string[];
  loraScale: string[];
  dtype: 'fp32' | 'fp16';
  quantize?: 'int8' | 'int4';
  layout: 'plain' | 'fused';
  out: string;
  force: boolean;
  externalData: 'auto' | 'always' | 'never';
}

/** `galen model build`: a LLaMA checkpoint (+ LoRA adapters) → an ONNX model directory. */
export function registerModelCommand(program: Command, globals: () => GlobalOptions): void {
  const model = program.command('model').description('Build generator models');
  model
    .command('build')
    .description('Build an ONNX model directory from a LLaMA checkpoint (Hugging Face safetensors or llama2c .bin), merging LoRA adapters')
    .option(
      '--from <path>',
      'checkpoint: a Hugging Face folder (config.json + model.safetensors or shards), a .safetensors file, or a llama2c .bin',
    )
    .option('--random', 'random weights of a real architecture instead (with --shape and --tokenizer), for benchmarks', false)
    .option('--shape <name|config.json>', 'architecture for --random: smollm2-135m, tinyllama-1.1b, stories260k, or a config.json')
    .option('--seed <n>', 'seed of --random weights', '1')
    .option('--tokenizer <dir>', "folder with tokenizer.json and tokenizer_config.json (default: the checkpoint's folder)")
    .option('--lora <dir>', 'PEFT LoRA adapter folder to merge; repeat to stack adapters in order', collect, [])
    .option('--lora-scale <s>', 'factor on alpha/r: once for all adapters, or once per --lora', collect, [])
    .addOption(new Option('--dtype <dtype>', 'element type of weights, activations and KV cache').choices(['fp32', 'fp16']).default('fp32'))
    .addOption(
      new Option('--quantize <bits>', 'weight-only quantisation of projections and head (MatMulNBits, blocks of 32)').choices([
        'int8',
        'int4',
      ]),
    )
    .addOption(
      new Option(
        '--layout <layout>',
        'operators: plain = standard ONNX ops (any runtime); fused = onnxruntime GroupQueryAttention, SkipSimplifiedLayerNormalization (onnxruntime only)',
      )
        .choices(['plain', 'fused'])
        .default('plain'),
    )
    .requiredOption('--out <dir>', 'model directory to write (appears only when complete)')
    .option('--force', 'replace --out if it exists', false)
    .addOption(
      new Option('--external-data <mode>', 'weights in onnx/model.onnx_data (memory-mapped at load): auto = past 64 MiB')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .action(async (flags: BuildFlags) => {
      const g = globals();
      const options = buildOptions(flags);
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const bar =
        !g.json && process.stderr.isTTY
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format: 'building {bar} {percentage}% | {mb}/{totalMb} MB | {tensor}',
                hideCursor: true,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      let started = false;
      let report: BuildReport;
      try {
        report = await buildModel({
          ...options,
          signal: controller.signal,
          onWarning: (m) => process.stderr.write(`galen: warning: ${m}\n`),
          onProgress: ({ doneBytes, totalBytes, tensor }) => {
            if (!bar) return;
            const values = { mb: (doneBytes / 1e6).toFixed(0), totalMb: (totalBytes / 1e6).toFixed(0), tensor: tensor.slice(-48) };
            if (!started) bar.start(totalBytes, doneBytes, values);
            else bar.update(doneBytes, values);
            started = true;
          },
        });
      } finally {
        if (started) bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const a = report.architecture;
      output(g, { ...report, seconds: Math.round(report.seconds * 100) / 100 }, () =>
        [
          `built ${report.out} from ${report.source} in ${report.seconds.toFixed(1)} s`,
          `  ${a.numLayers} layers, hidden ${a.hiddenSize}, ${a.numAttentionHeads} heads / ${a.numKeyValueHeads} KV heads, vocab ${a.vocabSize}, ${report.dtype}${report.quantize ? ` (${report.quantize} weights)` : ''}, ${report.layout} layout`,
          `  weights ${(report.weightBytes / 1e6).toFixed(1)} MB${report.externalData ? ' (onnx/model.onnx_data)' : ''}`,
          ...report.adapters.map((x) => `  merged ${x.path} (${x.modules} modules, scale ×${x.factor})`),
        ].join('\n'),
      );
    });
}

function buildOptions(flags: BuildFlags): BuildModelOptions {
  if (flags.random === (flags.from !== undefined)) throw new UsageError('give either --from <checkpoint> or --random --shape <name>');
  if (flags.random && !flags.shape)
    throw new UsageError('--random needs --shape (smollm2-135m, tinyllama-1.1b, stories260k or a config.json)');
  if (!flags.random && flags.shape) throw new UsageError('--shape goes with --random');
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number ≥ 0, got ${JSON.stringify(flags.seed)}`);
  const scales = flags.loraScale.map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--lora-scale must be a number, got ${JSON.stringify(s)}`);
    return n;
  });
  if (scales.length > 0 && flags.lora.length === 0) throw new UsageError('--lora-scale without --lora');
  if (scales.length > 1 && scales.length !== flags.lora.length)
    throw new UsageError(`${scales.length} --lora-scale values for ${flags.lora.length} adapters: give one, or one per --lora`);
  return {
    ...(flags.from !== undefined ? { from: flags.from } : { random: { shape: flags.shape!, seed } }),
    ...(flags.tokenizer !== undefined ? { tokenizer: flags.tokenizer } : {}),
    adapters: flags.lora,
    ...(scales.length ? { loraScale: scales } : {}),
    dtype: flags.dtype,
    ...(flags.quantize ? { quantize: flags.quantize } : {}),
    layout: flags.layout,
    out: flags.out,
    overwrite: flags.force,
    externalData: flags.externalData,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
