import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest, KnowledgeError, KnowledgeStore } from '../../knowledge/index.js';
import { tempDir } from '../helpers/paths.js';

let tmp: ReturnType<typeof tempDir>;
let store: KnowledgeStore;
let input: string;

beforeEach(() => {
  tmp = tempDir();
  store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  input = join(tmp.dir, 'input');
  mkdirSync(input);
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

const record = (id: string, text: string) => JSON.stringify({ id, title: `Title ${id}`, text });

describe('malformed input', () => {
  it('reports a bad JSONL line with its line number and keeps the good ones', async () => {
    const file = join(input, 'notes.jsonl');
    writeFileSync(
      file,
      [
        record('a', 'Alpha text about anemia.'),
        '{"id": "b", "title": broken',
        '[1,2]',
        record('c', 'Gamma text about gout.'),
        '{"title":""}',
      ].join('\n'),
    );
    const report = await ingest(store, { source: 'notes', paths: [file] });
    expect(report.added).toBe(2);
    expect(report.rejected).toBe(3);
    expect(report.rejections.map((r) => [r.line, r.path])).toEqual([
      [2, file],
      [3, file],
      [5, file],
    ]);
    expect(report.rejections[0]!.message).toMatch(/invalid JSON/);
  });

  it('refuses binary files without reading them, and ingests the rest', async () => {
    writeFileSync(join(input, 'scan.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3, 0, 255, 254]));
    writeFileSync(join(input, 'photo.jpg'), Buffer.alloc(64, 7));
    writeFileSync(join(input, 'slides.pptx'), 'text in a file type Galen does not read');
    writeFileSync(join(input, 'ok.md'), '# Gout\n\nGout is a form of arthritis.\n');
    const report = await ingest(store, { source: 'mixed', paths: [input] });
    expect(report.added).toBe(1);
    const messages = Object.fromEntries(report.rejections.map((r) => [r.path.split('/').pop(), r.message]));
    expect(messages['scan.txt']).toMatch(/binary/);
    expect(messages['photo.jpg']).toMatch(/binary/);
    expect(messages['slides.pptx']).toMatch(/unsupported file type .pptx/);
  });

  it('refuses files over the size limits with a message', async () => {
    writeFileSync(join(input, 'big.md'), `# Big\n\n${'Lorem ipsum dolor. '.repeat(2000)}`);
    writeFileSync(join(input, 'long-line.jsonl'), `${record('x', 'y'.repeat(5000))}\n${record('z', 'Short zeta text.')}\n`);
    const report = await ingest(store, {
      source: 'big',
      paths: [input],
      limits: { maxFileBytes: 1_000_000, maxRecordBytes: 4096 },
    });
    expect(report.added).toBe(1);
    const big = report.rejections.find((r) => r.path.endsWith('big.md'))!;
    expect(big.message).toMatch(/limit/);
    const long = report.rejections.find((r) => r.path.endsWith('long-line.jsonl'))!;
    expect(long).toMatchObject({ line: 1 });
    expect(long.message).toMatch(/record limit/);

    const huge = await ingest(store, { source: 'huge', paths: [join(input, 'big.md')], limits: { maxFileBytes: 1000 } });
    expect(huge.rejections[0]!.message).toMatch(/over the 1000 B limit/);
  });

  it('reports malformed XML and CSV files and skips them', async () => {
    writeFileSync(join(input, 'bad.xml'), '<Document id="1" source="X"><Focus>a</Focus><QAPairs><QAPair pid="1">');
    writeFileSync(join(input, 'other.xml'), '<html><body>not medquad</body></html>');
    writeFileSync(join(input, 'table.csv'), 'name,value\na,1\n');
    writeFileSync(join(input, 'judged.csv'), 'AnswerID,Answer\nnot-an-id.txt,"Question: q\nURL: u\nAnswer: a"\n');
    const report = await ingest(store, { source: 'bad', paths: [input] });
    expect(report.added).toBe(0);
    const byFile = Object.fromEntries(report.rejections.map((r) => [r.path.split('/').pop(), r.message]));
    expect(Object.keys(byFile).sort()).toEqual(['bad.xml', 'judged.csv', 'other.xml', 'table.csv']);
    expect(byFile['other.xml']).toMatch(/not MedQuAD/);
    expect(byFile['judged.csv']).toMatch(/not <collection>_<document>_Sec<n>/);
  });

  it('reads gzip-compressed JSONL and rejects a corrupt gzip', async () => {
    writeFileSync(join(input, 'ok.jsonl.gz'), gzipSync(`${record('g', 'Gzip text about gastritis.')}\n`));
    writeFileSync(join(input, 'cut.jsonl.gz'), gzipSync(`${record('h', 'Hepatitis.')}\n`.repeat(50)).subarray(0, 40));
    const report = await ingest(store, { source: 'gz', paths: [input] });
    expect(report.added).toBe(1);
    expect(report.rejections.map((r) => r.path.split('/').pop())).toEqual(['cut.jsonl.gz']);
  });

  it('reports duplicate ids within a run', async () => {
    const file = join(input, 'dups.jsonl');
    writeFileSync(file, [record('same', 'First text.'), record('same', 'Second text.')].join('\n'));
    const report = await ingest(store, { source: 'dups', paths: [file] });
    expect(report).toMatchObject({ added: 1, duplicates: 1, rejected: 1 });
    expect(report.rejections[0]).toMatchObject({ line: 2 });
    expect(report.rejections[0]!.message).toMatch(/first at .*dups\.jsonl:1/);
  });

  it('fails cleanly, changing nothing, for missing paths, bad source names and unknown formats', async () => {
    await expect(ingest(store, { source: 'x', paths: [join(input, 'nope')] })).rejects.toThrow(/No such file or folder/);
    await expect(ingest(store, { source: '../etc', paths: [input] })).rejects.toThrow(KnowledgeError);
    await expect(ingest(store, { source: 'x', paths: [input], format: 'pdf' as never })).rejects.toThrow(/Unknown format "pdf"/);
    expect(store.listSources()).toEqual([]);
  });
});
