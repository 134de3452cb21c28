import { basename } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { ParsedDocument, ParsedSection } from '../../document.js';
import type { InputFormat } from '../format.js';
import { readWholeText } from '../input-file.js';
import { KnowledgeError } from '../../errors.js';

export const MEDQUAD_LICENSE = 'CC BY 4.0';
export const MEDQUAD_ATTRIBUTION =
  'MedQuAD, Asma Ben Abacha and Dina Demner-Fushman, "A Question-Entailment Approach to Question Answering", BMC Bioinformatics 2019; answers from NIH websites';

const ARRAYS = new Set(['QAPair', 'pair', 'CUI', 'cui', 'SemanticType', 'semanticType', 'Synonym']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

type Node = Record<string, unknown>;

/**
 * MedQuAD XML (`<Document id source url>` with `<Focus>`, UMLS annotations and `<QAPair>`s; four
 * NINDS files use an older `<doc docid corpus>` layout and one CDC file `<DiseaseFile fid>`, also read). Each question–answer pair is a
 * section whose citation id is `<source>_<id>_Sec<pid>`; pairs without answer text are kept as
 * question-only sections.
 */
export const medquadXml: InputFormat = {
  name: 'medquad',
  description: 'MedQuAD XML documents (a folder of them, or single files)',
  license: MEDQUAD_LICENSE,
  attribution: MEDQUAD_ATTRIBUTION,
  authority: 'reference',
  async *parse(file, ctx) {
    const xml = await readWholeText(file, ctx.limits, ctx.onBytes);
    let tree: Node;
    try {
      tree = parser.parse(xml, true) as Node;
    } catch (error) {
      throw new KnowledgeError('INVALID_INPUT', `not well-formed XML: ${(error as Error).message.split('\n')[0]}`);
    }
    const doc = (tree.Document ?? tree.doc ?? tree.DiseaseFile) as Node | undefined;
    if (!doc || typeof doc !== 'object') throw new KnowledgeError('INVALID_INPUT', 'no <Document> element: not a MedQuAD file');
    yield { doc: toDocument(doc, basename(file.path).replace(/\.xml(\.gz)?$/i, '')), line: 1 };
  },
};

function toDocument(node: Node, fileStem: string): ParsedDocument {
  const id = text(node['@id'] ?? node['@docid'] ?? node['@fid']);
  const source = text(node['@source'] ?? node['@corpus']);
  if (!id || !source) throw new KnowledgeError('INVALID_INPUT', '<Document> lacks its id or source attribute');
  const focus = text(node.Focus ?? node['doctitle-focus']);
  const annotations = (node.FocusAnnotations ?? {}) as Node;
  const umls = (annotations.UMLS ?? node.UMLS ?? node.umls ?? {}) as Node;
  const cuis = list((umls.CUIs as Node | undefined)?.CUI ?? umls.cui);
  const semanticTypes = list((umls.SemanticTypes as Node | undefined)?.SemanticType ?? umls.semanticType);
  const semanticGroup = text(umls.SemanticGroup ?? umls.semanticGroup);
  const synonyms = list((annotations.Synonyms as Node | undefined)?.Synonym);
  const category = text(annotations.Category);
  const pairs = list<Node>(((node.QAPairs ?? node.qaPairs) as Node | undefined)?.QAPair ?? (node.qaPairs as Node | undefined)?.pair);

  const sections: ParsedSection[] = pairs.map((pair, i) => {
    const q = (pair.Question ?? pair.question) as Node | string | undefined;
    const question = text(typeof q === 'object' ? q['#text'] : q);
    const qtype = typeof q === 'object' ? text(q['@qtype']) : '';
    const qid = typeof q === 'object' ? text(q['@qid']) : '';
    const pid = text(pair['@pid']) || String(i + 1);
    const answer = cleanAnswer(text(pair.Answer ?? pair.answer));
    return {
      externalId: `${source}_${id}_Sec${pid}`,
      question,
      text: answer,
      metadata: { pid, ...(qid ? { qid } : {}), ...(qtype ? { qtype } : {}), question },
    };
  });
  const metadata: Record<string, unknown> = { collection: source, documentId: id, focus };
  if (cuis.length) metadata.cuis = cuis;
  if (semanticTypes.length) metadata.semanticTypes = semanticTypes;
  if (semanticGroup) metadata.semanticGroup = semanticGroup;
  if (synonyms.length) metadata.synonyms = synonyms;
  if (category) metadata.category = category;
  const doc: ParsedDocument = {
    // A few CancerGov documents share an id across files (0000013_2.xml, 0000013_2_1.xml, …): the file
    // stem keeps them apart, while section citation ids follow MedQuAD's own formula.
    externalId: `${source}_${fileStem.startsWith(id) ? fileStem : id}`,
    title: focus || sections[0]?.question || `${source} ${id}`,
    focus: [focus, ...synonyms].filter(Boolean).join('; '),
    language: 'en',
    sections,
    metadata,
  };
  const url = text(node['@url']);
  if (url) doc.url = url;
  return doc;
}

/** MedQuAD answers mark paragraph and list breaks with runs of spaces; keep them as line breaks. */
export function cleanAnswer(answer: string): string {
  return answer
    .replace(/\r\n?/g, '\n')
    .replace(/ {2,}(?=- )/g, '\n')
    .replace(/ {2,}/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return text((value as Node)['#text']);
  return String(value).trim();
}

function list<T = string>(value: unknown): T[] {
  if (value === undefined || value === null || value === '') return [];
  const arr = Array.isArray(value) ? value : [value];
  return arr
    .map((v) => (typeof v === 'object' && v !== null && !('@pid' in v) && '#text' in v ? (v as Node)['#text'] : v))
    .filter((v) => v !== '' && v !== undefined) as T[];
}
