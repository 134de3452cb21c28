/**
 * The test engine of `upstream-bench` on a thread of its own, so its generation does not share the
 * event loop of the Galen it is measured behind: stories260k on Galen's ONNX runtime behind the
 * tests' OpenAI-compatible server. Posts `{url}` once listening; answers `'recorded'` with the
 * completion bodies it received (and forgets them), and `'close'` by closing.
 */
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { loadLanguageModel } from '../model/index.js';
import { TestUpstream } from '../tests/model/openai-compatible/test-upstream.js';
import { ROOT } from './common.js';

const port = parentPort;
if (!port) throw new Error('upstream-engine-worker runs as a worker thread');
const model = await loadLanguageModel(join(ROOT, '..', 'shared', 'models', 'stories260k'));
const upstream = await TestUpstream.start(model);
upstream.record = true;
port.on('message', (message: unknown) => {
  if (message === 'recorded') port.postMessage({ recorded: upstream.recorded.splice(0) });
  else if (message === 'close')
    void (async () => {
      await upstream.close();
      await model.close();
      port.close();
    })();
});
port.postMessage({ url: upstream.url });
