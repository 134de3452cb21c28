import type { FormatName, InputFormat } from '../format.js';
import { chatdoctorDb } from './chatdoctor-db.js';
import { dialogues } from './dialogues.js';
import { jsonl } from './jsonl.js';
import { markdown } from './markdown.js';
import { medquadCsv } from './medquad-csv.js';
import { medquadXml } from './medquad-xml.js';
import { pubmedqa } from './pubmedqa.js';
import { text } from './text.js';

/** Every input format by name. */
export const FORMATS: Readonly<Record<FormatName, InputFormat>> = {
  medquad: medquadXml,
  'medquad-csv': medquadCsv,
  pubmedqa,
  'chatdoctor-db': chatdoctorDb,
  dialogues,
  jsonl,
  markdown,
  text,
};
