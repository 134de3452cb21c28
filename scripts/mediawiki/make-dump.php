<?php
/**
 * Builds a MediaWiki XML export (schema 0.11) from the shared Wikipedia JSONL files, for
 * maintenance/importDump.php.
 *
 * Usage: php make-dump.php --out FILE [--articles FILE] [--leads FILE] [--max-articles N]
 *   --articles      JSONL of whole articles (`title`, `text` with `== Heading ==` lines, `url`)
 *   --leads         JSONL of lead sections (`title`, `text`); a lead whose title is already an
 *                   article is skipped (the article is the better page)
 *   --max-articles  import only the first N articles (default: all; -1 = all)
 *
 * The source text is plain text, not wikitext, so everything that MediaWiki would read as markup
 * (links, templates, bold/italic quotes, list and table starts, magic words, HTML) is escaped;
 * only `== Heading ==` lines stay markup. Each source line becomes its own paragraph.
 *
 * Prints one JSON line with the counts to stdout.
 */

declare(strict_types=1);

$options = getopt('', ['out:', 'articles:', 'leads:', 'max-articles:']);
if (!isset($options['out'])) {
    fwrite(STDERR, "usage: php make-dump.php --out FILE [--articles FILE] [--leads FILE] [--max-articles N]\n");
    exit(2);
}
$maxArticles = isset($options['max-articles']) ? (int)$options['max-articles'] : -1;

/** MediaWiki's own title normalisation, enough for these titles: `_` → space, first letter upper. */
function normaliseTitle(string $title): string {
    $title = trim(preg_replace('/[_\s]+/u', ' ', $title) ?? $title);
    return mb_strtoupper(mb_substr($title, 0, 1)) . mb_substr($title, 1);
}

/** Characters that MediaWiki's parser gives meaning to anywhere in a line. */
function escapeInline(string $line): string {
    // Order matters: `&` first so the entities written below are not escaped again.
    $line = str_replace('&', '&amp;', $line);
    $line = strtr($line, [
        '<' => '&lt;', '>' => '&gt;', '[' => '&#91;', ']' => '&#93;',
        '{' => '&#123;', '}' => '&#125;', '|' => '&#124;', "'" => '&#39;',
        '~' => '&#126;', '__' => '&#95;&#95;',
    ]);
    // Bare URLs and ISBN/RFC/PMID magic links would become links.
    return preg_replace('#(?<=[a-z])://#i', '&#58;//', $line) ?? $line;
}

/** Plain text with `== Heading ==` lines → minimal wikitext. */
function toWikitext(string $text): string {
    $out = [];
    foreach (preg_split('/\R/u', $text) ?: [] as $raw) {
        $line = trim($raw);
        if ($line === '') continue;
        if (preg_match('/^(={2,6})\s*(.+?)\s*\1$/u', $line, $m)) {
            $out[] = $m[1] . ' ' . escapeInline($m[2]) . ' ' . $m[1];
            continue;
        }
        $line = escapeInline($line);
        // A line starting with a list, indent, table, rule or heading marker would be read as one.
        if (preg_match('/^[*#:;=!-]/u', $line)) $line = '<nowiki/>' . $line;
        $out[] = $line;
    }
    return implode("\n\n", $out) . "\n";
}

/** Yields decoded records of a JSONL file; a broken line is reported on stderr and skipped. */
function readJsonl(string $path): Generator {
    $handle = fopen($path, 'rb');
    if ($handle === false) throw new RuntimeException("cannot read $path");
    $lineNo = 0;
    while (($line = fgets($handle)) !== false) {
        $lineNo++;
        if (trim($line) === '') continue;
        $record = json_decode($line, true);
        if (!is_array($record) || !is_string($record['title'] ?? null) || !is_string($record['text'] ?? null)) {
            fwrite(STDERR, "$path:$lineNo: not a {title, text} record, skipped\n");
            continue;
        }
        yield $record;
    }
    fclose($handle);
}

$xml = fopen($options['out'], 'wb');
if ($xml === false) throw new RuntimeException("cannot write {$options['out']}");
fwrite($xml, '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">' . "\n");

$seen = [];
$counts = ['articles' => 0, 'leads' => 0, 'skipped' => 0];
$timestamp = gmdate('Y-m-d\TH:i:s\Z');

$writePage = function (string $title, string $text, string $comment) use ($xml, $timestamp): void {
    $esc = fn(string $s): string => htmlspecialchars($s, ENT_XML1 | ENT_QUOTES, 'UTF-8');
    $wikitext = toWikitext($text);
    fwrite($xml, "<page><title>{$esc($title)}</title><ns>0</ns><revision>"
        . "<timestamp>$timestamp</timestamp><contributor><username>Wikipedia contributors</username></contributor>"
        . "<comment>{$esc($comment)}</comment><model>wikitext</model><format>text/x-wiki</format>"
        . '<text xml:space="preserve" bytes="' . strlen($wikitext) . '">' . $esc($wikitext) . "</text></revision></page>\n");
};

foreach (['articles', 'leads'] as $kind) {
    if (!isset($options[$kind])) continue;
    foreach (readJsonl($options[$kind]) as $record) {
        if ($kind === 'articles' && $maxArticles >= 0 && $counts['articles'] >= $maxArticles) break;
        $title = normaliseTitle($record['title']);
        // Titles MediaWiki refuses (empty, too long, forbidden characters) are skipped, not fatal.
        if ($title === '' || strlen($title) > 255 || preg_match('/[#<>\[\]|{}]/', $title) || isset($seen[$title])) {
            $counts['skipped']++;
            continue;
        }
        $seen[$title] = true;
        $comment = 'Imported from ' . ($record['url'] ?? 'English Wikipedia') . ' (CC BY-SA, Wikipedia contributors)';
        $writePage($title, $record['text'], $comment);
        $counts[$kind]++;
    }
}

fwrite($xml, "</mediawiki>\n");
fclose($xml);
echo json_encode($counts), "\n";
