import { createHash } from 'node:crypto';
import type { ParsedDocument } from '../../document.js';
import type { InputFormat } from '../format.js';
import { jsonRecords, stringField } from './json-records.js';

/** A patient question and the reply to it, from whichever record shape carried them. */
interface Exchange {
  id: string;
  question: string;
  answer: string;
  instruction: string;
}

/**
 * Question–answer dialogues as JSON/JSONL: ChatDoctor (`instruction`, `input`, `output`), MedicalGPT's
 * Chinese pairs (`问`, `答`) and ShareGPT-style `conversations: [{from, value}]`. Each record becomes a
 * document whose section is the reply, with the question searchable beside it. Records without an
 * `id` are named by a hash of their content, so re-ingesting unchanged data changes nothing.
 */
export const dialogues: InputFormat = {
  name: 'dialogues',
  description: 'Question–answer dialogues: ChatDoctor, MedicalGPT (问/答), ShareGPT conversations',
  authority: 'dialogue',
  async *parse(file, ctx) {
    for await (const { value, line } of jsonRecords(file, ctx)) {
      const exchange = toExchange(value);
      if (!exchange) {
        ctx.reject(line, 'record has no question and answer (expected input/output, 问/答 or conversations)');
        continue;
      }
      const id =
        exchange.id || `qa_${createHash('sha256').update(`${exchange.question}\u0000${exchange.answer}`).digest('hex').slice(0, 16)}`;
      const doc: ParsedDocument = {
        externalId: id,
        title: headline(exchange.question),
        sections: [{ question: exchange.question, text: exchange.answer }],
        metadata: exchange.instruction ? { instruction: exchange.instruction } : {},
      };
      yield { doc, line };
    }
  },
};

function toExchange(r: Record<string, unknown>): Exchange | undefined {
  const id = stringField(r, 'id');
  if (Array.isArray(r.conversations)) {
    const turns = (r.conversations as unknown[]).filter((t): t is Record<string, unknown> => typeof t === 'object' && t !== null);
    const human = turns.find((t) => ['human', 'user'].includes(stringField(t, 'from') || stringField(t, 'role')));
    const reply = turns.find((t) => ['gpt', 'assistant'].includes(stringField(t, 'from') || stringField(t, 'role')));
    const question = human ? stringField(human, 'value') || stringField(human, 'content') : '';
    const answer = reply ? stringField(reply, 'value') || stringField(reply, 'content') : '';
    return question && answer ? { id, question, answer, instruction: '' } : undefined;
  }
  const question = stringField(r, 'input') || stringField(r, '问') || stringField(r, 'question');
  const answer = stringField(r, 'output') || stringField(r, '答') || stringField(r, 'answer');
  if (!question || !answer) return undefined;
  return { id, question, answer, instruction: stringField(r, 'instruction') };
}

/** The first sentence of a question, at most 120 characters, as a title. */
export function headline(text: string): string {
  const first = text.split(/(?<=[.?!。？！])\s*/u)[0] ?? text;
  const t = first.length > 120 ? `${first.slice(0, 117)}…` : first;
  return t.trim() || 'Untitled';
}
