/**
 * What of an error message a client may see: absolute file paths become their last segment
 * (the server's layout is not the client's business) and Node's, zlib's and SQLite's internal
 * codes (`Z_DATA_ERROR`, `ENOENT`, `SQLITE_CORRUPT`, `ERR_…`) are dropped. The log keeps the
 * original.
 *
 * @example
 * clientMessage('No source named "x" in /srv/galen/data/galen.sqlite'); // 'No source named "x" in galen.sqlite'
 * clientMessage('incorrect header check (Z_DATA_ERROR)');              // 'incorrect header check'
 */
export function clientMessage(message: string): string {
  return message
    .replace(/(?:[A-Za-z]:)?(?:[\\/][^\s\\/"'`,;:()[\]]+)+[\\/]?/g, (path) => {
      // A lone "/x" is more often prose ("and/or", a route) than a file: keep it.
      const parts = path.split(/[\\/]/).filter(Boolean);
      if (parts.length < 2 || path.startsWith('/v1/') || path.startsWith('/cds-services')) return path;
      return parts[parts.length - 1]!;
    })
    .replace(/\s*[([]?\b(?:Z_[A-Z_]+|E[A-Z]{3,}|ERR_[A-Z_]+|SQLITE_[A-Z_]+)\b[)\]]?:?/g, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

const INTERNAL_CODE = /^(?:Z_[A-Z_]+|E[A-Z]{3,}|ERR_[A-Z_]+|SQLITE_[A-Z_]+)$/;

/** A machine-readable code a client may see: internal (Node, zlib, SQLite) ones become `fallback`. */
export function clientCode(code: string, fallback: string): string {
  return INTERNAL_CODE.test(code) ? fallback : code;
}
