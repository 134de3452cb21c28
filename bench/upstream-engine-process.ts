/**
 * The test engine of `upstream-bench` in an OS process of its own (forked, driven over IPC), so
 * its generation shares neither the event loop nor the CPU time of the Galen it is measured
 * behind, and the bench reads its CPU apart from Galen's (`/proc/<pid>/stat`): stories260k on
 * Galen's ONNX runtime behind the tests' OpenAI-compatible server. Sends `{url}` once listening;
 * answers `'recorded'` with `{recorded}` (the completion bodies it received, then forgotten), and
 * `'close'` by closing and exiting. It also exits when the bench that forked it goes away.
 */
import { join } from 'node:path';
import { loadLanguageModel } from '../model/index.js';
import { TestUpstream } from '../tests/model/openai-compatible/test-upstream.js';
import { ROOT } from './common.js';

if (!process.send) throw new Error('upstream-engine-process runs as a forked child process (with an IPC channel)');
const send = (message: unknown) => process.send?.(message);
const model = await loadLanguageModel(join(ROOT, '..', 'shared', 'models', 'stories260k'));
const upstream = await TestUpstream.start(model);
upstream.record = true;
let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await upstream.close();
  await model.close();
  process.exit(0);
};
process.on('message', (message: unknown) => {
  if (message === 'recorded') send({ recorded: upstream.recorded.splice(0) });
  else if (message === 'close') void close();
});
process.on('disconnect', () => void close());
send({ url: upstream.url });
