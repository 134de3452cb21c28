import type { InputFile } from '../input-file.js';
import { readLines, readWholeText, sniff } from '../input-file.js';
import type { ParseContext } from '../format.js';
import { KnowledgeError } from '../../errors.js';

/** A JSON object from a JSONL line or a JSON array element, with its line (or element) number. */
export interface JsonRecord {
  value: Record<string, unknown>;
  line: number;
}

/**
 * The records of a JSON Lines file, streamed, or of a JSON array file (read whole within the
 * limits). Lines that are not JSON objects are rejected with their line number.
 */
export async function* jsonRecords(file: InputFile, ctx: ParseContext): AsyncGenerator<JsonRecord> {
  if (await isJsonArray(file)) {
    const text = await readWholeText(file, ctx.limits, ctx.onBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new KnowledgeError('INVALID_INPUT', `invalid JSON: ${(error as Error).message}`);
    }
    const items = parsed as unknown[];
    for (let i = 0; i < items.length; i++) {
      const value = items[i];
      if (!isObject(value)) ctx.reject(i + 1, `array element ${i + 1} is not a JSON object`);
      else yield { value, line: i + 1 };
    }
    return;
  }
  for await (const line of readLines(file, ctx.limits, ctx.onBytes)) {
    if (line.tooLong) {
      ctx.reject(line.number, `line is longer than the ${ctx.limits.maxRecordBytes}-byte record limit`);
      continue;
    }
    const text = line.text.trim();
    if (!text) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      ctx.reject(line.number, `invalid JSON: ${(error as Error).message}`);
      continue;
    }
    if (!isObject(value)) ctx.reject(line.number, 'not a JSON object');
    else yield { value, line: line.number };
  }
}

async function isJsonArray(file: InputFile): Promise<boolean> {
  return (await sniff(file.path)).head.trimStart().startsWith('[');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field, trimmed; numbers are accepted as strings (ids often are numbers). */
export function stringField(record: Record<string, unknown>, key: string): string {
  const v = record[key];
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}
