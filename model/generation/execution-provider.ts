import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelError } from './errors.js';

/** Where the graph runs. */
export type ExecutionProviderName = 'cpu' | 'cuda';

/** Options of {@link createInferenceSession}. */
export interface SessionOptions {
  /** Execution provider. Default `'cpu'`. */
  executionProvider?: ExecutionProviderName;
  /** CUDA device ordinal, with `executionProvider: 'cuda'`. Default `0`. */
  deviceId?: number;
  /**
   * When the CUDA provider cannot be loaded, run on CPU and call `onWarning` instead of throwing
   * `EXECUTION_PROVIDER_UNAVAILABLE`. Default `false`.
   */
  allowCpuFallback?: boolean;
  /** onnxruntime intra-op threads. Default: onnxruntime's choice (one per physical core). */
  intraOpThreads?: number;
  /** Receives warnings (CPU fallback). Default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** A created session and the provider it really runs on. */
export interface CreatedSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProviderName;
}

/** Libraries the CUDA provider of onnxruntime-node needs beside its binding (Linux names). */
const CUDA_PROVIDER_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/**
 * Creates an onnxruntime session for `onnxPath` (or for `modelBytes`, an edited copy of it whose
 * external-data files are still read from beside `onnxPath`) on the requested provider. CUDA needs provider
 * libraries that the npm package does not ship by default (`npm run install:cuda` fetches them);
 * when they are missing the error names them, or with `allowCpuFallback` a warning does and the
 * session runs on CPU.
 *
 * @example
 * const { session, executionProvider } = await createInferenceSession('m/onnx/model.onnx', { executionProvider: 'cuda', allowCpuFallback: true });
 */
export async function createInferenceSession(
  onnxPath: string,
  options: SessionOptions = {},
  modelBytes?: Uint8Array,
): Promise<CreatedSession> {
  const provider = options.executionProvider ?? 'cpu';
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(modelBytes ? { extra: { 'session.model_external_initializers_file_folder_path': dirname(onnxPath) } } : {}),
  };
  const create = (sessionOptions: ort.InferenceSession.SessionOptions) =>
    modelBytes ? ort.InferenceSession.create(modelBytes, sessionOptions) : ort.InferenceSession.create(onnxPath, sessionOptions);
  if (provider === 'cuda') {
    const missing = missingCudaLibraries();
    let reason = missing.length > 0 ? `missing ${missing.join(', ')} in ${bindingDirectory() ?? 'the onnxruntime-node binary folder'}` : '';
    if (!reason) {
      try {
        const session = await create({
          ...base,
          // Fatal-only logging: a failed provider load is reported by our error, not a red native log line.
          logSeverityLevel: 4,
          executionProviders: [{ name: 'cuda', deviceId: options.deviceId ?? 0 }],
        });
        return { session, executionProvider: 'cuda' };
      } catch (cause) {
        reason = (cause as Error).message;
        if (!/provider|cuda|shared librar|cudnn|cublas/i.test(reason)) throw loadError(onnxPath, cause);
      }
    }
    const message =
      `CUDA execution provider unavailable (${reason}); install it with \`npm run install:cuda\` ` +
      `(CUDA 12 and cuDNN 9 must be installed too)`;
    if (!options.allowCpuFallback) throw new ModelError('EXECUTION_PROVIDER_UNAVAILABLE', message);
    (options.onWarning ?? console.warn)(`${message}; falling back to CPU`);
  }
  try {
    return { session: await create({ ...base, executionProviders: ['cpu'] }), executionProvider: 'cpu' };
  } catch (cause) {
    throw loadError(onnxPath, cause);
  }
}

function loadError(onnxPath: string, cause: unknown): ModelError {
  return new ModelError('INVALID_MODEL', `onnxruntime could not load ${onnxPath}: ${(cause as Error).message}`, { cause });
}

/** The folder of onnxruntime-node's native binding for this platform, if it can be found. */
function bindingDirectory(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** CUDA provider libraries absent from the binding folder (Linux only; elsewhere onnxruntime says). */
function missingCudaLibraries(): string[] {
  const dir = bindingDirectory();
  if (process.platform !== 'linux' || dir === undefined || !existsSync(dir)) return [];
  return CUDA_PROVIDER_LIBRARIES.filter((lib) => !existsSync(join(dir, lib)));
}
