import { Router, type Request, type Response } from 'express';
import { CHAT_PAGE_CSS, CHAT_PAGE_HTML, CHAT_PAGE_JS, vendorScripts } from '../web/index.js';

/**
 * The chat page: `GET /` (HTML), `GET /web/app.js`, `GET /web/app.css`, the vendored markdown
 * renderer and sanitiser under `/web/vendor/` (and an empty `/favicon.ico`). Public, like the
 * probes: the page itself holds nothing; its requests to `/v1/chat` go through authentication.
 *
 * @example
 * app.use(webRoutes());
 */
export function webRoutes(): Router {
  const router = Router();
  const send = (type: string, body: string) => (_req: Request, res: Response) => {
    res.type(type).set('Cache-Control', 'no-cache').send(body);
  };
  router.get('/', send('html', CHAT_PAGE_HTML));
  router.get('/web/app.js', send('application/javascript', CHAT_PAGE_JS));
  router.get('/web/app.css', send('css', CHAT_PAGE_CSS));
  for (const script of vendorScripts()) router.get(script.path, send('application/javascript', script.body));
  // Browsers ask for it on every page; no icon is better than a 404 in their console.
  router.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  return router;
}
