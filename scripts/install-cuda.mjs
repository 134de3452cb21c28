#!/usr/bin/env node
// `npm run install:cuda`: fetches onnxruntime-node's CUDA 12 execution-provider libraries with the
// package's own installer (package.json's allowScripts denies that script at `npm install`, because
// its host is unreachable on our build machines), then checks that the libraries arrived.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('onnxruntime-node/package.json'));
const bin = join(root, 'bin', 'napi-v6', `${process.platform}`, `${process.arch}`);
const wanted = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

// The installer reads ONNXRUNTIME_NODE_INSTALL to choose the CUDA 12 files.
const run = spawnSync(process.execPath, [join(root, 'script', 'install.js')], {
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
});
const missing = wanted.filter((f) => !existsSync(join(bin, f)));
if (run.status !== 0 || missing.length) {
  console.error(
    `install:cuda: the CUDA provider libraries are not in ${bin} (missing: ${missing.join(', ') || 'none'}; installer exit ${run.status}).\n` +
      "It downloads from Microsoft's NuGet feed: check internet access, or copy those files there by hand.",
  );
  process.exit(1);
}
console.log(`install:cuda: CUDA 12 provider libraries installed in ${bin}`);
