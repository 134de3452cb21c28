import { GalenError } from '../../errors/index.js';
/** The server could not listen where it was configured to (a taken port, a foreign address). */
export class ListenError extends GalenError<'PORT_IN_USE' | 'PORT_FORBIDDEN' | 'ADDRESS_UNAVAILABLE' | 'LISTEN_FAILED'> {
  override readonly name = 'ListenError';
}

/** The operator's message for a failed `listen` on `host:port`. */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number): ListenError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new ListenError('PORT_IN_USE', `port ${port} is in use; set GALEN_PORT or --port`);
    case 'EACCES':
      return new ListenError('PORT_FORBIDDEN', `port ${port} needs privileges this process lacks; set GALEN_PORT or --port (above 1023)`);
    case 'EADDRNOTAVAIL':
      return new ListenError('ADDRESS_UNAVAILABLE', `${host} is not an address of this machine; set GALEN_HOST or --host`);
    default:
      return new ListenError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${error.message}`);
  }
}
