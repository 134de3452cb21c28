// The Wikipedia retriever's pure parts: query building, article splitting, wikitext, breaker, cache.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  CircuitBreaker,
  ResponseCache,
  sectionAnchor,
  splitArticle,
  toSearchQuery,
  wikitextToPlain,
} from '../../retrieval/wikipedia/index.js';
import { tempDir } from '../helpers/paths.js';

const scratch = tempDir('galen-wikipedia-parts-');
afterAll(() => scratch.cleanup());

describe('toSearchQuery', () => {
  it('keeps the content words of a question', () => {
    expect(toSearchQuery('What are the symptoms of monkeypox?')).toEqual({
      keywords: ['symptoms', 'monkeypox'],
      text: 'symptoms monkeypox',
    });
    expect(toSearchQuery("What's Crohn's disease?").text).toBe('crohn disease');
    expect(toSearchQuery('How is type 2 diabetes treated?').text).toBe('type 2 diabetes treated');
  });

  it('leaves no search syntax and bounds the length', () => {
    expect(toSearchQuery('[[File:x]] {{template}} "a" -b +c* intitle:d').text).toBe('file x template b c intitle d');
    expect(toSearchQuery('😷 ?!').text).toBe('');
    expect(toSearchQuery('').text).toBe('');
    expect(toSearchQuery('word '.repeat(5000)).keywords).toEqual(['word']);
    const long = toSearchQuery(Array.from({ length: 50 }, (_, i) => `term${i}`).join(' '));
    expect(long.keywords).toHaveLength(8);
    expect(toSearchQuery('x'.repeat(10_000)).text.length).toBeLessThanOrEqual(300);
  });

  it('keeps stopwords when there is nothing else', () => {
    expect(toSearchQuery('The Who').text).toBe('the who');
  });
});

describe('splitArticle', () => {
  it('cuts at headings, keeps the lead and drops empty and boilerplate sections', () => {
    const text =
      'Gout is arthritis.\n\n\n== Signs and symptoms ==\nPain.\n\n\n== Cause ==\n\n\n=== Diet ===\nBeer.\n\n== See also ==\nHyperuricemia\n\n== References ==\n\n=== Notes ===\nx\n== Epidemiology ==\nCommon.';
    expect(splitArticle(text)).toEqual([
      { heading: '', text: 'Gout is arthritis.' },
      { heading: 'Signs and symptoms', text: 'Pain.' },
      { heading: 'Diet', text: 'Beer.' },
      { heading: 'Epidemiology', text: 'Common.' },
    ]);
  });

  it('makes MediaWiki anchors', () => {
    expect(sectionAnchor('Signs and symptoms')).toBe('Signs_and_symptoms');
    expect(sectionAnchor('2003 U.S. outbreak')).toBe('2003_U.S._outbreak');
    expect(sectionAnchor('Cause (virus)')).toBe('Cause_(virus)');
  });
});

describe('wikitextToPlain', () => {
  it('keeps prose, link labels and headings; drops templates, refs, files and tables', () => {
    const wikitext = [
      "{{Infobox disease|name=Gout|{{nested|x}}}}'''Gout''' is a form of [[arthritis|inflammatory arthritis]].<ref>{{cite|a}}</ref> It is [[common]].<ref name=\"b\" />",
      '[[File:Gout.jpg|thumb|A [[toe]] with gout]]',
      '{| class="wikitable"\n| a || b\n|}',
      '== Signs and symptoms ==',
      '* Pain &amp; swelling<!-- hidden -->',
      '[[Category:Arthritis]]',
    ].join('\n');
    expect(wikitextToPlain(wikitext)).toBe(
      'Gout is a form of inflammatory arthritis. It is common.\n\n== Signs and symptoms ==\nPain & swelling',
    );
  });

  it('survives unbalanced markup', () => {
    expect(wikitextToPlain('{{open [[File:x| text')).toBe('');
    expect(wikitextToPlain('a }} b ]] c')).toBe('a }} b ]] c');
  });
});

describe('CircuitBreaker', () => {
  it('opens after the threshold, half-opens after the cool-down with a single probe', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000, now: () => now });
    breaker.tryAcquire()!.failure();
    expect(breaker.state).toBe('closed');
    breaker.tryAcquire()!.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBeNull();
    now = 1000;
    const probe = breaker.tryAcquire();
    expect(probe).not.toBeNull();
    expect(breaker.tryAcquire()).toBeNull();
    probe!.failure();
    expect(breaker.state).toBe('open');
    now = 2000;
    breaker.tryAcquire()!.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it('does not count released permits, and a success resets the count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    breaker.tryAcquire()!.failure();
    breaker.tryAcquire()!.success();
    breaker.tryAcquire()!.failure();
    const permit = breaker.tryAcquire()!;
    permit.release();
    permit.failure(); // settled already: ignored
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker while the dependency is unproven', () => {
  it('lets only probeLimit calls in flight until one succeeds, and again after a failure', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 5, probeLimit: 2 });
    const first = breaker.tryAcquire();
    const second = breaker.tryAcquire();
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(breaker.tryAcquire()).toBeNull();
    expect(breaker.state).toBe('closed');
    // An abandoned call frees its place without proving anything.
    first!.release();
    const third = breaker.tryAcquire();
    expect(third).not.toBeNull();
    expect(breaker.tryAcquire()).toBeNull();
    third!.success();
    second!.success();
    // Proven: no limit.
    const many = Array.from({ length: 10 }, () => breaker.tryAcquire());
    expect(many.every((permit) => permit !== null)).toBe(true);
    many[0]!.failure();
    // A failure makes it unproven again: the ten still in flight were let in before, new ones are limited.
    expect(breaker.tryAcquire()).not.toBeNull();
    expect(breaker.tryAcquire()).not.toBeNull();
    expect(breaker.tryAcquire()).toBeNull();
    many[1]!.success();
    expect(breaker.tryAcquire()).not.toBeNull();
  });
});

describe('ResponseCache', () => {
  it('stores JSON with a TTL in a WAL-mode file', () => {
    let now = 0;
    const path = join(scratch.dir, 'nested', 'cache.sqlite');
    const cache = new ResponseCache(path, { ttlMs: 100, now: () => now });
    cache.set('a', [{ x: 1 }]);
    expect(cache.get('a')).toEqual([{ x: 1 }]);
    expect(cache.get('b')).toBeUndefined();
    now = 100;
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'again');
    cache.close();
    const reopened = new ResponseCache(path, { now: () => now });
    expect(reopened.get('a')).toBe('again');
    reopened.close();
  });
});
